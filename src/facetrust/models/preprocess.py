"""Preprocessing that travels with a model's weights, so inference can never drift from training."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import cv2
import numpy as np
import torch

ColorMode = Literal["rgb", "gray", "r", "g", "b"]
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_INTERPOLATION = {"bicubic": cv2.INTER_CUBIC, "bilinear": cv2.INTER_LINEAR, "area": cv2.INTER_AREA}


@dataclass(frozen=True)
class Preprocess:
    """Input size, normalisation and colour mode of a model (stored in its card)."""

    size: int = 224
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    color: ColorMode = "rgb"
    interpolation: str = "bicubic"

    @property
    def channels(self) -> int:
        return 3 if self.color == "rgb" else 1

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Preprocess:
        return cls(**{**data, "mean": tuple(data["mean"]), "std": tuple(data["std"])})

    def __call__(self, crop: np.ndarray) -> torch.Tensor:
        """RGB uint8 (H, W, 3) → float tensor (C, size, size), normalised."""
        if crop.shape[:2] != (self.size, self.size):
            shrinking = min(crop.shape[:2]) > self.size
            crop = cv2.resize(crop, (self.size, self.size),
                              interpolation=cv2.INTER_AREA if shrinking else _INTERPOLATION[self.interpolation])
        pixels = crop.astype(np.float32) / 255.0
        if self.color == "gray":
            pixels = (pixels @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]
        elif self.color in ("r", "g", "b"):
            pixels = pixels[..., "rgb".index(self.color)][..., None]
        mean = np.asarray(self.mean[: self.channels] if self.channels == 3 else [np.mean(self.mean)], np.float32)
        std = np.asarray(self.std[: self.channels] if self.channels == 3 else [np.mean(self.std)], np.float32)
        return torch.from_numpy(((pixels - mean) / std).transpose(2, 0, 1).copy())
