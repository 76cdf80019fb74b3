"""Class-activation heatmaps for face crops, through the `grad-cam` package.

The target is the fake logit: bright regions are those whose features raised P(fake) (for a real-looking
face the map shows what little pointed towards fake). The map is computed on the last convolution of
the model's image backbone (of every member's, averaged, for an ensemble, so the map shows what the whole
verdict read; of the branch that judged the face, for a routed model), resized to the crop, and normalised per crop
to [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch
from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, XGradCAM
from torch import nn

from facetrust.errors import FacetrustError
from facetrust.explain import EXPLAIN_METHODS
from facetrust.models.checkpoint import LoadedModel
from facetrust.models.inference import batch_of
from facetrust.models.routed import RoutedModel

CAMS = dict(zip(EXPLAIN_METHODS, (GradCAM, GradCAMPlusPlus, XGradCAM), strict=True))


class _FakeLogit(nn.Module):
    """The model's (B,) fake logit as the (B, 1) output grad-cam expects."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.module(images).reshape(len(images), -1)[:, :1]


def last_convolution(module: nn.Module) -> nn.Module:
    """The last 2-D convolution of the image backbone: the finest map that still knows what it sees."""
    convolutions = [m for m in getattr(module, "backbone", module).modules() if isinstance(m, nn.Conv2d)]
    if not convolutions or getattr(module, "needs_encodings", False):
        raise FacetrustError(f"{type(module).__name__}: heatmaps need an image model with convolutions "
                             "(not ffnn or the models that read face encodings)")
    return convolutions[-1]


def target_layers(module: nn.Module) -> list[nn.Module]:
    """Where the map is read: the last convolution, one per member of an ensemble."""
    members = getattr(module, "members", None)
    return [last_convolution(m.model) for m in members] if members is not None else [last_convolution(module)]


def face_heatmaps(model: LoadedModel, crops: Sequence[np.ndarray], method: str = "gradcam",
                  batch_size: int = 16) -> list[np.ndarray]:
    """One (H, W) float map in [0, 1] per RGB crop, at the crop's size."""
    if method not in EXPLAIN_METHODS:
        raise FacetrustError(f"unknown explanation method {method!r}; choose from {', '.join(EXPLAIN_METHODS)}")
    if isinstance(model, RoutedModel):
        return model.per_route(crops, lambda branch, chosen: face_heatmaps(branch, chosen, method, batch_size))
    module = model.module.eval()
    wrapped = _FakeLogit(module)
    maps: list[np.ndarray] = []
    with CAMS[method](model=wrapped, target_layers=target_layers(module)) as cam:
        for start in range(0, len(crops), batch_size):
            chunk = crops[start:start + batch_size]
            batch = batch_of(model.preprocess, chunk).contiguous()
            grey = cam(input_tensor=batch, targets=[_fake_target] * len(chunk))
            maps += [cv2.resize(m, (c.shape[1], c.shape[0]), interpolation=cv2.INTER_LINEAR).clip(0, 1)
                     for m, c in zip(grey, chunk, strict=True)]
    return maps


def _fake_target(output: torch.Tensor) -> torch.Tensor:
    return output[0]


def overlay(crop: np.ndarray, heatmap: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """The crop with the heatmap blended in as a JET colour map (RGB uint8)."""
    colours = cv2.cvtColor(cv2.applyColorMap(np.uint8(255 * heatmap), cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
    return (crop.astype(np.float32) * (1 - alpha) + colours.astype(np.float32) * alpha).clip(0, 255).astype(np.uint8)
