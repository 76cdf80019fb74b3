"""ONNX export and an onnxruntime runner that stands in for the PyTorch module at inference.

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
from facetrust.onnx_graphs import cpu_session, parity_passed, parity_record, record_parity, write_graph

log = logging.getLogger(__name__)
INPUT_NAMES = ("image", "encoding")
PARITY_TOLERANCE = 1e-4  # largest accepted |P(fake) difference| between PyTorch and onnxruntime
FEATURE_TOLERANCE = 1e-3  # largest accepted feature difference, relative to the largest feature
# Faces per onnxruntime call. Its memory arena keeps the largest batch's activations for the whole process:
# 32 faces at 256 px hold 705 MB, 8 faces 223 MB, at the same speed per face (docs/PERFORMANCE.md, "Memory").
SESSION_BATCH = 8


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


class OnnxModule(nn.Module):
    """Runs an exported graph with onnxruntime behind the `nn.Module` call signature (NCHW float images and, for
    encoding models, encodings in; logits out). Inputs the graph does not use (encoding_mlp ignores the
    image) are not fed."""

    reads_nchw = True  # `inference.batch_of` hands it plain NCHW batches: no layout copy before each run

    def __init__(self, path: Path, threads: int | None = None, spin: bool = False) -> None:
        """`spin` as in `onnx_graphs.cpu_session`."""
        super().__init__()
        self.path = path
        self.session = cpu_session(path, threads or torch.get_num_threads(), spin)
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.has_features = "features" in {o.name for o in self.session.get_outputs()}

    def _run(self, output: str, inputs: tuple[torch.Tensor, ...]) -> torch.Tensor:
        feed = {name: np.ascontiguousarray(tensor.detach().float().numpy())
                for name, tensor in zip(INPUT_NAMES, inputs, strict=False) if name in self.inputs}
        count = len(next(iter(feed.values())))
        parts = [self.session.run([output], {name: part[start:start + SESSION_BATCH] for name, part in feed.items()})[0]
                 for start in range(0, max(count, 1), SESSION_BATCH)]
        return torch.from_numpy(np.concatenate(parts))

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self._run("logit", inputs)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Penultimate features, for graphs exported with them (`has_features`)."""
        return self._run("features", (images,))


def graph_path(cache: Path, digest: str, channels: int, size: int, encodings: bool, features: bool) -> Path:
    """Where the graph of these weights lives; what it outputs is in its name, so a features graph found in the
    cache can be run without building the PyTorch model first (`checked_runner`)."""
    suffix = "-enc" if encodings else "-features" if features else ""
    return cache / "onnx" / f"{digest}-{channels}x{size}{suffix}.onnx"


def checked_runner(digest: str, channels: int, size: int, cache: Path, encodings: bool = False) -> OnnxModule | None:
    """The runner of a graph with features (or encodings) exported and checked before under the installed
    libraries: it needs no PyTorch model at all. None when there is none (the caller builds the model)."""
    path = graph_path(cache, digest, channels, size, encodings, features=True)
    if not (path.exists() and parity_passed(path)):
        return None
    try:
        return OnnxModule(path)
    except Exception as exc:  # a damaged cache file: export again from the PyTorch model
        log.warning("cannot open %s (%s: %s); exporting again", path, type(exc).__name__, exc)
        path.unlink(missing_ok=True)
        return None


def max_p_difference(module: nn.Module, runner: nn.Module, inputs: tuple[torch.Tensor, ...]) -> float:
    """Largest |P(fake)| difference between two ways of running the same model on the same inputs."""
    with torch.inference_mode():
        reference = module.eval()(*inputs).float().numpy()
        candidate = runner(*inputs).float().numpy()
    return float(np.abs(sigmoid(reference) - sigmoid(candidate)).max())


def max_feature_difference(module: BackboneClassifier, runner: OnnxModule, images: torch.Tensor) -> float:
    """Largest feature difference between PyTorch and the exported graph, relative to the largest feature."""
    with torch.inference_mode():
        reference = module.eval().features(images).float().numpy()
        candidate = runner.features(images).float().numpy()
    return float(np.abs(reference - candidate).max() / max(1.0, np.abs(reference).max()))


def cached_onnx_runner(module: nn.Module, digest: str, channels: int, size: int, cache: Path,
                       encodings: bool = False) -> OnnxModule | None:
    """The onnxruntime runner for the weights whose hash is `digest`, exporting them on first use; None if
    that cannot be done faithfully (the caller then keeps PyTorch). The parity check against PyTorch runs once
    per graph and pair of library versions; its passing result is kept beside the graph (`parity_record`)."""
    path = graph_path(cache, digest, channels, size, encodings, exports_features(module))
    try:
        if not path.exists():
            log.warning("preparing the onnxruntime version of the model (once; it is cached in %s)", path.parent)
            parity_record(path).unlink(missing_ok=True)  # a new graph is checked, whatever an old one passed
            export_onnx(module, channels, size, path, encodings)
        runner = OnnxModule(path)
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
