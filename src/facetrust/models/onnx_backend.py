"""ONNX export and an onnxruntime runner that stands in for the PyTorch module at inference.

onnxruntime runs the detector several times faster than PyTorch eager on CPUs (see
docs/PERFORMANCE.md), so it is the default backend when installed. A model is exported once per
weights file into the cache (`$FACETRUST_CACHE_DIR/onnx/`), checked against PyTorch on the way, and
PyTorch remains the fallback whenever onnxruntime is missing or an export does not match.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from facetrust.models.inference import sigmoid

log = logging.getLogger(__name__)
PARITY_TOLERANCE = 1e-4  # largest accepted |P(fake) difference| between PyTorch and onnxruntime


def onnxruntime_available() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def export_onnx(module: nn.Module, channels: int, size: int, path: Path) -> Path:
    """Export `module` (eval mode, one logit per image) with a dynamic batch dimension; atomic write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    example = torch.randn(2, channels, size, size)
    batch = torch.export.Dim("batch", min=1, max=4096)
    partial = path.with_suffix(f".{os.getpid()}.partial.onnx")  # processes may export the same model at once
    module.eval()
    torch.onnx.export(module, (example,), str(partial), dynamo=True, input_names=["image"], output_names=["logit"],
                      dynamic_shapes=({0: batch},), optimize=True, external_data=False, verbose=False)
    os.replace(partial, path)
    return path


class OnnxModule(nn.Module):
    """Runs an exported graph with onnxruntime behind the `nn.Module` call signature (NCHW float in, logits out)."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        super().__init__()
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        self.path = path
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        pixels = np.ascontiguousarray(batch.detach().float().numpy())
        return torch.from_numpy(self.session.run(["logit"], {"image": pixels})[0])


def max_p_difference(module: nn.Module, runner: nn.Module, batch: torch.Tensor) -> float:
    """Largest |P(fake)| difference between two ways of running the same model on `batch`."""
    with torch.inference_mode():
        reference = module.eval()(batch).float().numpy()
        candidate = runner(batch).float().numpy()
    return float(np.abs(sigmoid(reference) - sigmoid(candidate)).max())


def cached_onnx_runner(module: nn.Module, digest: str, channels: int, size: int, cache: Path) -> OnnxModule | None:
    """The onnxruntime runner for the weights whose hash is `digest`, exporting them on first use; None if
    that cannot be done faithfully (the caller then keeps PyTorch)."""
    path = cache / "onnx" / f"{digest}-{channels}x{size}.onnx"
    try:
        if not path.exists():
            log.warning("preparing the onnxruntime version of the model (once; it is cached in %s)", path.parent)
            export_onnx(module, channels, size, path)
        runner = OnnxModule(path)
        probe = torch.rand(4, channels, size, size, generator=torch.Generator().manual_seed(0)) * 4 - 2
        difference = max_p_difference(module, runner, probe)
    except Exception as exc:  # any export/runtime failure: PyTorch still gives the right answer, only slower
        log.warning("onnxruntime backend unavailable for %s (%s: %s); using PyTorch", path, type(exc).__name__, exc)
        return None
    if difference > PARITY_TOLERANCE:
        log.warning("onnxruntime differs from PyTorch by %.2g in P(fake) for %s; using PyTorch", difference, path)
        return None
    return runner
