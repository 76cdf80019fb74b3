"""What every onnxruntime graph facetrust exports shares, without importing torch until it exports: the export
itself, CPU sessions, and the record that a graph was once checked against PyTorch under the installed library
versions (so the check is not repeated on every start, and scans that find the record need not load PyTorch)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import warnings
from pathlib import Path

from facetrust.atomic import atomic_write


def onnxruntime_available() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def cpu_session(path: Path, threads: int | None = None, spin: bool = False):
    """An onnxruntime CPU session for `path`. Idle intra-op threads do not spin-wait for work unless `spin`:
    a scan decodes and finds faces on other threads beside the classifier, which spinning threads would compete
    with. Measured (`bench/spin_wait.py`, docs/PERFORMANCE.md) the difference is within noise for the pre-cropped
    scan (two order-balanced runs: 62.8 vs 61.1 and 63.1 vs 63.8 inputs/s)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or 0  # 0: onnxruntime's own choice, one thread per physical core
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def write_graph(graph, example: tuple, path: Path, inputs: list[str], outputs: list[str],
                dynamic_shapes: tuple[dict, ...]) -> Path:
    """torch.onnx's dynamo export of the module `graph` (eval mode) traced on the tensors `example`, written
    atomically (processes may export the same graph at once): every graph facetrust makes goes through here."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), atomic_write(path) as partial:
        # two inputs sharing the batch axis is what we mean, not a problem
        warnings.filterwarnings("ignore", message=".*shares the same shape constraints", category=UserWarning)
        torch.onnx.export(graph, example, str(partial), dynamo=True, input_names=inputs, output_names=outputs,
                          dynamic_shapes=dynamic_shapes, optimize=True, external_data=False, verbose=False)
    return path


def parity_record(graph: Path) -> Path:
    """Where a graph's passed parity check is recorded: the torch and onnxruntime versions it passed under."""
    return graph.with_suffix(".parity.json")


def parity_passed(graph: Path) -> bool:
    """True when `graph` passed its parity check under the library versions installed now."""
    try:
        return json.loads(parity_record(graph).read_text(encoding="utf-8")) == library_versions()
    except (OSError, ValueError):
        return False


def record_parity(graph: Path) -> None:
    with atomic_write(parity_record(graph)) as partial:
        partial.write_text(json.dumps(library_versions()), encoding="utf-8")


def library_versions() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in ("torch", "onnxruntime")}
