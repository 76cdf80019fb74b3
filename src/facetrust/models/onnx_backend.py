"""ONNX export of a PyTorch model, checked against it, for the onnxruntime runner (`onnx_runner.OnnxRunner`) that
stands in for the module at inference.

onnxruntime runs the detector several times faster than PyTorch eager on CPUs (see
docs/PERFORMANCE.md), so it is the default backend when installed. A model is exported once per
weights file into the cache (`$FACETRUST_CACHE_DIR/onnx/`), checked against PyTorch on the way, and
PyTorch remains the fallback whenever onnxruntime is missing or an export does not match.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from torch import nn

from facetrust.embeddings import ENCODING_INPUTS
from facetrust.models.ensemble import Ensemble
from facetrust.models.heads import BackboneClassifier
from facetrust.models.inference import sigmoid
from facetrust.models.onnx_runner import INPUT_NAMES, OnnxRunner, graph_path
from facetrust.onnx_graphs import parity_passed, parity_record, record_parity, write_graph

log = logging.getLogger(__name__)
PARITY_TOLERANCE = 1e-4  # largest accepted |P(fake) difference| between PyTorch and onnxruntime
FEATURE_TOLERANCE = 1e-3  # largest accepted feature difference, relative to the largest feature


def exports_features(module: nn.Module) -> bool:
    """Image-only backbone models export their penultimate features beside the logit: they lie on the
    logit's path, so the second output costs nothing, and video tracks and embedding maps need them."""
    if isinstance(module, Ensemble):
        return module.has_features
    return isinstance(module, BackboneClassifier) and not getattr(module, "needs_encodings", False)


class _LogitsAndFeatures(nn.Module):
    """What is exported for such models: (logit, features) from one pass."""

    def __init__(self, module: BackboneClassifier) -> None:
        super().__init__()
        self.module = module

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.module.logits_and_features(images)


def example_inputs(channels: int, size: int, encodings: bool, batch: int = 2,
                   seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Random inputs of the model's shapes: images, and face encodings for the models that read them."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(batch, channels, size, size, generator=generator) * 4 - 2
    if not encodings:
        return (images,)
    return images, torch.randn(batch, ENCODING_INPUTS, generator=generator) * 0.1


def export_onnx(module: nn.Module, channels: int, size: int, path: Path, encodings: bool = False) -> Path:
    """Export `module` (eval mode) with a dynamic batch dimension: output "logit", and "features" where
    `exports_features`; atomic write."""
    example = example_inputs(channels, size, encodings)
    batch = torch.export.Dim("batch", min=1, max=4096)
    with_features = exports_features(module)
    graph = (_LogitsAndFeatures(module) if with_features else module).eval()
    return write_graph(graph, example, path, list(INPUT_NAMES[: len(example)]),
                       ["logit", "features"] if with_features else ["logit"], tuple({0: batch} for _ in example))


def max_p_difference(module: nn.Module, runner: OnnxRunner, inputs: tuple[torch.Tensor, ...]) -> float:
    """Largest |P(fake)| difference between the PyTorch model and its graph on the same inputs."""
    with torch.inference_mode():
        reference = module.eval()(*inputs).float().numpy()
    candidate = runner.logits(*(tensor.numpy() for tensor in inputs))
    return float(np.abs(sigmoid(reference) - sigmoid(candidate)).max())


def max_feature_difference(module: BackboneClassifier, runner: OnnxRunner, images: torch.Tensor) -> float:
    """Largest feature difference between PyTorch and the exported graph, relative to the largest feature."""
    with torch.inference_mode():
        reference = module.eval().features(images).float().numpy()
    candidate = runner.features(images.numpy())
    return float(np.abs(reference - candidate).max() / max(1.0, np.abs(reference).max()))


def cached_onnx_runner(module: nn.Module, digest: str, channels: int, size: int, cache: Path,
                       encodings: bool = False) -> OnnxRunner | None:
    """The onnxruntime runner for the weights whose hash is `digest`, exporting them on first use; None if
    that cannot be done faithfully (the caller then keeps PyTorch). The parity check against PyTorch runs once
    per graph and pair of library versions; its passing result is kept beside the graph (`parity_record`)."""
    path = graph_path(cache, digest, channels, size, encodings, exports_features(module))
    try:
        if not path.exists():
            log.warning("preparing the onnxruntime version of the model (once; it is cached in %s)", path.parent)
            parity_record(path).unlink(missing_ok=True)  # a new graph is checked, whatever an old one passed
            export_onnx(module, channels, size, path, encodings)
        runner = OnnxRunner(path)
        if parity_passed(path):
            return runner
        inputs = example_inputs(channels, size, encodings, batch=4)
        difference = max_p_difference(module, runner, inputs)
        feature_difference = max_feature_difference(module, runner, inputs[0]) if runner.has_features else 0.0
    except Exception as exc:  # any export/runtime failure: PyTorch still gives the right answer, only slower
        log.warning("onnxruntime backend unavailable for %s (%s: %s); using PyTorch", path, type(exc).__name__, exc)
        return None
    if difference > PARITY_TOLERANCE:
        log.warning("onnxruntime differs from PyTorch by %.2g in P(fake) for %s; using PyTorch", difference, path)
        return None
    if feature_difference > FEATURE_TOLERANCE:
        log.warning("onnxruntime differs from PyTorch by %.2g in features for %s; using PyTorch", feature_difference,
                    path)
        return None
    record_parity(path)
    return runner
