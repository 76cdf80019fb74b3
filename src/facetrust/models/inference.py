"""Batched forward passes over face crops, shared by training, evaluation and scanning.

Batches and test-time views are NumPy arrays: an onnxruntime runner (`facetrust.models.onnx_runner`) takes them as
they are, and PyTorch loads only when a PyTorch module runs, so a scan on onnxruntime never imports it (about 1.5 s
of start-up and 0.5 GB; docs/PERFORMANCE.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from facetrust.models.preprocess import Preprocess

if TYPE_CHECKING:
    import torch
    from torch import nn

    from facetrust.models.onnx_runner import OnnxRunner

TTA_MODES = ("flip", "ten_crop")  # test-time augmentation a model card may name; None is one view
TEN_CROP_SIDE = 0.9  # of the crop's side: within the emotion training augmentation's shift and zoom


def channels_last(module: nn.Module) -> nn.Module:
    """NHWC layout: on these CPUs training runs ~1.5-1.8x faster and inference a little faster
    (bench/training_speed.py). Works in place and is idempotent."""
    import torch

    return module.to(memory_format=torch.channels_last)


def as_tensor(batch: np.ndarray) -> torch.Tensor:
    """A preprocessed NCHW batch as a PyTorch tensor in channels-last layout, which PyTorch modules run fastest on."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(batch)).contiguous(memory_format=torch.channels_last)


def batch_of(preprocess: Preprocess, crops: Sequence[np.ndarray]) -> torch.Tensor:
    """The preprocessed crops as one PyTorch batch (training, heatmaps)."""
    return as_tensor(preprocess.batch(crops))


def extra_inputs(encodings: np.ndarray | None, index: Sequence[int] | slice) -> tuple[torch.Tensor, ...]:
    """`_encoding_rows` as PyTorch tensors (training)."""
    import torch

    return tuple(torch.from_numpy(rows) for rows in _encoding_rows(encodings, index))


def _encoding_rows(encodings: np.ndarray | None, index: Sequence[int] | slice) -> tuple[np.ndarray, ...]:
    """The inputs after the images for these rows: the face encodings for models that read them, else none."""
    return () if encodings is None else (np.ascontiguousarray(encodings[index]),)


def tta_views(batch: np.ndarray, tta: str | None) -> list[np.ndarray]:
    """The views of a preprocessed NCHW batch whose outputs are averaged: the batch itself; with "flip" also its
    mirror (faces are left-right symmetric; generator traces need not be, and averaging steadies the
    score); with "ten_crop" the centre and four corner crops at `TEN_CROP_SIDE`, resized back, and their
    mirrors (small shifts and zooms the model saw in training)."""
    if tta is None:
        return [batch]
    if tta == "flip":
        return [batch, np.ascontiguousarray(batch[..., ::-1])]
    if tta != "ten_crop":
        raise ValueError(f"unknown test-time augmentation {tta!r}; use {', '.join(TTA_MODES)} or none")
    import torch
    import torch.nn.functional as F

    size = batch.shape[-1]
    side = round(size * TEN_CROP_SIDE)
    far, mid = size - side, (size - side) // 2
    images = torch.from_numpy(np.ascontiguousarray(batch))
    corners = ((mid, mid), (0, 0), (0, far), (far, 0), (far, far))
    crops = [F.interpolate(images[..., y:y + side, x:x + side], size=(size, size), mode="bilinear",
                           align_corners=False).numpy() for y, x in corners]
    return [view for crop in crops for view in (crop, np.ascontiguousarray(crop[..., ::-1]))]


def predict_logits(module: nn.Module | OnnxRunner, preprocess: Preprocess, crops: Sequence[np.ndarray],
                   batch_size: int = 32, tta: str | None = None, encodings: np.ndarray | None = None) -> np.ndarray:
    """Logits for uint8 RGB crops, in eval mode without gradients (PyTorch modules in channels-last layout, as
    `load_model` and the trainer make them, run faster). `encodings`: one row per crop, for the models
    that read face encodings. With `tta`, each crop's logits are the mean over its `tta_views`.
    """
    forward = numpy_forward(module, "logits")
    outputs = []
    for start in range(0, len(crops), batch_size):
        views = tta_views(preprocess.batch(crops[start:start + batch_size]), tta)
        extra = _encoding_rows(encodings, slice(start, start + batch_size))
        outputs.append(sum(forward(view, *extra) for view in views) / len(views))
    return np.concatenate(outputs) if outputs else np.zeros(0, np.float32)


def predict_features(extractor: nn.Module | OnnxRunner, classifier: nn.Module, preprocess: Preprocess,
                     crops: Sequence[np.ndarray], batch_size: int = 32,
                     tta: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate-layer features (from `extractor.features`: the PyTorch model or its onnxruntime graph)
    and the logits `classifier.classify` gives them: what temporal video models read per frame. With `tta`
    the features are averaged over the crop's `tta_views`: for a linear head the logit is then the mean of the views'
    logits, as `predict_logits` gives it; for a one-class head (a cosine) it is the logit of the mean features, close
    to that mean but not equal."""
    import torch

    forward = numpy_forward(extractor, "features")
    features = []
    for start in range(0, len(crops), batch_size):
        views = tta_views(preprocess.batch(crops[start:start + batch_size]), tta)
        features.append(sum(forward(view) for view in views) / len(views))
    if not features:
        return np.zeros((0, classifier.num_features), np.float32), np.zeros(0, np.float32)
    stacked = np.concatenate(features)
    with torch.inference_mode():
        logits = classifier.eval().classify(torch.from_numpy(stacked)).float().reshape(len(stacked), -1)[:, 0]
    return stacked, logits.numpy()


def numpy_forward(module: nn.Module | OnnxRunner, output: str) -> Callable[..., np.ndarray]:
    """NumPy in, NumPy out: an onnxruntime runner's `output` as it is; a PyTorch module's (its `forward` for
    "logits", else the method of that name) in eval mode without gradients, fed channels-last tensors."""
    if getattr(module, "runs_numpy", False):
        return getattr(module, output)
    import torch

    module.eval()
    method = module if output == "logits" else getattr(module, output)

    def forward(images: np.ndarray, *extra: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return method(as_tensor(images), *(torch.from_numpy(e) for e in extra)).float().numpy()

    return forward


def sigmoid(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64) / temperature))
