"""An exported graph run on onnxruntime with NumPy arrays in and out: the scan path's classifier backend, which
needs no PyTorch (exporting and checking a graph against PyTorch is `facetrust.models.onnx_backend`'s job)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from facetrust.onnx_graphs import cpu_session, parity_passed

log = logging.getLogger(__name__)
INPUT_NAMES = ("image", "encoding")
# Faces per onnxruntime call. Its memory arena keeps the largest batch's activations for the whole process:
# 32 faces at 256 px hold 705 MB, 8 faces 223 MB, at the same speed per face (docs/PERFORMANCE.md, "Memory").
SESSION_BATCH = 8


def default_threads() -> int:
    """Intra-op threads as PyTorch chooses them: OMP_NUM_THREADS when set (Ray sets it to its workers' CPUs), else
    the CPUs this process may run on. Always a number: left to itself (0) onnxruntime pins its threads to cores, which
    made the pre-cropped scan, whose reading threads share those cores, slower in 5 of 6 alternating rounds
    (docs/PERFORMANCE.md, "A scan without PyTorch")."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        return int(os.environ["OMP_NUM_THREADS"]) or available
    except (KeyError, ValueError):
        return available


class OnnxRunner:
    """Runs an exported graph with onnxruntime: NCHW float32 images (and, for encoding models, encodings) in, logits
    or penultimate features out. Inputs the graph does not use (encoding_mlp ignores the image) are not fed."""

    runs_numpy = True  # `inference.predict_logits` feeds it arrays as they are, no PyTorch in between

    def __init__(self, path: Path, threads: int | None = None, spin: bool = False) -> None:
        """`spin` as in `onnx_graphs.cpu_session`."""
        self.path = path
        self.session = cpu_session(path, threads or default_threads(), spin)
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.has_features = "features" in {o.name for o in self.session.get_outputs()}

    def _run(self, output: str, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
        feed = {name: np.ascontiguousarray(array, dtype=np.float32)
                for name, array in zip(INPUT_NAMES, inputs, strict=False) if name in self.inputs}
        count = len(next(iter(feed.values())))
        parts = [self.session.run([output], {name: part[start:start + SESSION_BATCH] for name, part in feed.items()})[0]
                 for start in range(0, max(count, 1), SESSION_BATCH)]
        return np.concatenate(parts)

    def logits(self, *inputs: np.ndarray) -> np.ndarray:
        return self._run("logit", inputs)

    def features(self, images: np.ndarray) -> np.ndarray:
        """Penultimate features, for graphs exported with them (`has_features`)."""
        return self._run("features", (images,))


def graph_path(cache: Path, digest: str, channels: int, size: int, encodings: bool, features: bool) -> Path:
    """Where the graph of these weights lives; what it outputs is in its name, so a features graph found in the
    cache can be run without building the PyTorch model first (`checked_runner`)."""
    suffix = "-enc" if encodings else "-features" if features else ""
    return cache / "onnx" / f"{digest}-{channels}x{size}{suffix}.onnx"


def checked_runner(digest: str, channels: int, size: int, cache: Path, encodings: bool = False) -> OnnxRunner | None:
    """The runner of a graph with features (or encodings) exported and checked before under the installed
    libraries: it needs no PyTorch model at all. None when there is none (the caller builds the model)."""
    path = graph_path(cache, digest, channels, size, encodings, features=True)
    if not (path.exists() and parity_passed(path)):
        return None
    try:
        return OnnxRunner(path)
    except Exception as exc:  # a damaged cache file: export again from the PyTorch model
        log.warning("cannot open %s (%s: %s); exporting again", path, type(exc).__name__, exc)
        path.unlink(missing_ok=True)
        return None
