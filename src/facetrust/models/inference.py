"""Batched forward passes over face crops, shared by training, evaluation and scanning."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from facetrust.models.preprocess import Preprocess

CHANNELS_LAST = torch.channels_last


def channels_last(module: nn.Module) -> nn.Module:
    """NHWC layout: on these CPUs training runs ~1.5-1.8x faster and inference a little faster
    (bench/training_speed.py). Works in place and is idempotent."""
    return module.to(memory_format=CHANNELS_LAST)


def batch_of(preprocess: Preprocess, crops: Sequence[np.ndarray]) -> torch.Tensor:
    return torch.stack([preprocess(c) for c in crops]).contiguous(memory_format=CHANNELS_LAST)


def extra_inputs(encodings: np.ndarray | None, index: Sequence[int] | slice) -> tuple[torch.Tensor, ...]:
    """The inputs after the images for these rows: the face encodings for models that read them, else none."""
    return () if encodings is None else (torch.from_numpy(np.ascontiguousarray(encodings[index])),)


def predict_logits(module: nn.Module, preprocess: Preprocess, crops: Sequence[np.ndarray],
                   batch_size: int = 32, flip_tta: bool = False, encodings: np.ndarray | None = None) -> np.ndarray:
    """Logits for uint8 RGB crops, in eval mode without gradients (modules in channels-last layout, as
    `load_model` and the trainer make them, run faster). `encodings`: one row per crop, for the models
    that read face encodings.

    With `flip_tta`, each crop's logit is the mean over the crop and its mirror image (faces are
    left-right symmetric; generator traces need not be, and averaging steadies the score).
    """
    module.eval()
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(crops), batch_size):
            batch = batch_of(preprocess, crops[start:start + batch_size])
            extra = extra_inputs(encodings, slice(start, start + batch_size))
            logits = module(batch, *extra).float()
            if flip_tta:
                logits = (logits + module(batch.flip(-1), *extra).float()) / 2
            outputs.append(logits.numpy())
    return np.concatenate(outputs) if outputs else np.zeros(0, np.float32)


def predict_features(extractor: nn.Module, head: nn.Module, preprocess: Preprocess, crops: Sequence[np.ndarray],
                     batch_size: int = 32, flip_tta: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate-layer features (from `extractor.features`: the PyTorch model or its onnxruntime graph)
    and the logits its linear `head` gives them: what temporal video models read per frame. With `flip_tta`
    the features are averaged over the crop and its mirror (the head is linear, so the logit is too)."""
    extractor.eval()
    head.eval()
    features = []
    with torch.inference_mode():
        for start in range(0, len(crops), batch_size):
            batch = batch_of(preprocess, crops[start:start + batch_size])
            values = extractor.features(batch).float()
            if flip_tta:
                values = (values + extractor.features(batch.flip(-1)).float()) / 2
            features.append(values)
        if not features:
            return np.zeros((0, head[-1].in_features), np.float32), np.zeros(0, np.float32)
        stacked = torch.cat(features)
        logits = head(stacked).float().reshape(len(stacked), -1)[:, 0]
    return stacked.numpy(), logits.numpy()


def sigmoid(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64) / temperature))
