"""Batched forward passes over face crops, shared by training, evaluation and scanning."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from facetrust.models.preprocess import Preprocess

CHANNELS_LAST = torch.channels_last
TTA_MODES = ("flip", "ten_crop")  # test-time augmentation a model card may name; None is one view
TEN_CROP_SIDE = 0.9  # of the crop's side: within the emotion training augmentation's shift and zoom


def channels_last(module: nn.Module) -> nn.Module:
    """NHWC layout: on these CPUs training runs ~1.5-1.8x faster and inference a little faster
    (bench/training_speed.py). Works in place and is idempotent."""
    return module.to(memory_format=CHANNELS_LAST)


def batch_of(preprocess: Preprocess, crops: Sequence[np.ndarray], layout_for: nn.Module | None = None) -> torch.Tensor:
    """The preprocessed crops as one batch, in the memory layout `layout_for` runs fastest on: channels-last for
    PyTorch modules (the default), plain NCHW for an onnxruntime graph, which would otherwise copy it back."""
    batch = torch.from_numpy(preprocess.batch(crops))
    return batch if getattr(layout_for, "reads_nchw", False) else batch.contiguous(memory_format=CHANNELS_LAST)


def extra_inputs(encodings: np.ndarray | None, index: Sequence[int] | slice) -> tuple[torch.Tensor, ...]:
    """The inputs after the images for these rows: the face encodings for models that read them, else none."""
    return () if encodings is None else (torch.from_numpy(np.ascontiguousarray(encodings[index])),)


def tta_views(batch: torch.Tensor, tta: str | None) -> list[torch.Tensor]:
    """The views of a preprocessed batch whose outputs are averaged: the batch itself; with "flip" also its
    mirror (faces are left-right symmetric; generator traces need not be, and averaging steadies the
    score); with "ten_crop" the centre and four corner crops at `TEN_CROP_SIDE`, resized back, and their
    mirrors (small shifts and zooms the model saw in training)."""
    if tta is None:
        return [batch]
    if tta == "flip":
        return [batch, batch.flip(-1)]
    if tta != "ten_crop":
        raise ValueError(f"unknown test-time augmentation {tta!r}; use {', '.join(TTA_MODES)} or none")
    size = batch.shape[-1]
    side = round(size * TEN_CROP_SIDE)
    far, mid = size - side, (size - side) // 2
    crops = [F.interpolate(batch[..., y:y + side, x:x + side], size=(size, size), mode="bilinear",
                           align_corners=False) for y, x in ((mid, mid), (0, 0), (0, far), (far, 0), (far, far))]
    return [view for crop in crops for view in (crop, crop.flip(-1))]


def predict_logits(module: nn.Module, preprocess: Preprocess, crops: Sequence[np.ndarray],
                   batch_size: int = 32, tta: str | None = None, encodings: np.ndarray | None = None) -> np.ndarray:
    """Logits for uint8 RGB crops, in eval mode without gradients (modules in channels-last layout, as
    `load_model` and the trainer make them, run faster). `encodings`: one row per crop, for the models
    that read face encodings. With `tta`, each crop's logits are the mean over its `tta_views`.
    """
    module.eval()
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(crops), batch_size):
            batch = batch_of(preprocess, crops[start:start + batch_size], module)
            extra = extra_inputs(encodings, slice(start, start + batch_size))
            views = tta_views(batch, tta)
            outputs.append((sum(module(view, *extra).float() for view in views) / len(views)).numpy())
    return np.concatenate(outputs) if outputs else np.zeros(0, np.float32)


def predict_features(extractor: nn.Module, classifier: nn.Module, preprocess: Preprocess,
                     crops: Sequence[np.ndarray], batch_size: int = 32,
                     tta: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate-layer features (from `extractor.features`: the PyTorch model or its onnxruntime graph)
    and the logits `classifier.classify` gives them: what temporal video models read per frame. With `tta`
    the features are averaged over the crop's `tta_views` (the heads are linear, so the logit is too)."""
    extractor.eval()
    classifier.eval()
    features = []
    with torch.inference_mode():
        for start in range(0, len(crops), batch_size):
            views = tta_views(batch_of(preprocess, crops[start:start + batch_size], extractor), tta)
            features.append(sum(extractor.features(view).float() for view in views) / len(views))
        if not features:
            return np.zeros((0, classifier.num_features), np.float32), np.zeros(0, np.float32)
        stacked = torch.cat(features)
        logits = classifier.classify(stacked).float().reshape(len(stacked), -1)[:, 0]
    return stacked.numpy(), logits.numpy()


def sigmoid(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64) / temperature))
