"""MTCNN's three networks (facenet-pytorch's weights) as plain NumPy calls for `mtcnn_stages`.

Where onnxruntime is installed they run as graphs exported once into the cache (`$FACETRUST_CACHE_DIR/onnx/`) and
checked against PyTorch on the way, so later scans import neither torch nor torchvision (a third of a scan's
start-up, and the memory of a second inference engine). PyTorch runs them otherwise, or when an export fails or
does not match.
"""

from __future__ import annotations

import importlib.metadata
import logging
from pathlib import Path

import numpy as np

from facetrust.cache import cache_root
from facetrust.errors import MissingComponentError
from facetrust.faces.detectors.mtcnn_stages import MtcnnNets, Net
from facetrust.onnx_graphs import (
    cpu_session,
    onnxruntime_available,
    parity_passed,
    parity_record,
    record_parity,
    write_graph,
)

log = logging.getLogger(__name__)
NETS = ("pnet", "rnet", "onet")
OUTPUTS = {"pnet": ("regression", "probability"), "rnet": ("regression", "probability"),
           "onet": ("regression", "landmarks", "probability")}
INPUT_SIDE = {"pnet": None, "rnet": 24, "onet": 48}  # P-Net is fully convolutional: any image size
PARITY_TOLERANCE = 1e-4  # largest accepted output difference between PyTorch and onnxruntime


def load_nets(prefer_onnx: bool = True) -> MtcnnNets:
    """The networks on onnxruntime when it is installed and the graphs match PyTorch, else on PyTorch."""
    if prefer_onnx and onnxruntime_available():
        sessions = _onnx_nets(cache_root() / "onnx")
        if sessions is not None:
            return sessions
    modules = _torch_modules()
    return MtcnnNets(*(_torch_call(modules[name]) for name in NETS))


def graph_path(folder: Path, name: str) -> Path:
    return folder / f"mtcnn-{name}-facenet-pytorch-{importlib.metadata.version('facenet-pytorch')}.onnx"


def _onnx_nets(folder: Path) -> MtcnnNets | None:
    try:
        paths = {name: graph_path(folder, name) for name in NETS}
        if not all(path.exists() and parity_passed(path) for path in paths.values()):
            modules = _torch_modules()
            log.warning("preparing the onnxruntime version of MTCNN (once; it is cached in %s)", folder)
            for name, path in paths.items():
                if not parity_passed(path):
                    _export_and_check(modules[name], name, path)
        return MtcnnNets(*(_onnx_call(cpu_session(paths[name])) for name in NETS))
    except MissingComponentError:
        raise
    except Exception as exc:  # any export or runtime failure: PyTorch still finds the same faces, only slower
        log.warning("onnxruntime MTCNN unavailable (%s: %s); using PyTorch", type(exc).__name__, exc)
        return None


def _export_and_check(module, name: str, path: Path) -> None:
    """Export one network (dynamic batch; P-Net also dynamic height and width), then record that onnxruntime
    gives PyTorch's outputs on random inputs of several shapes; raises if it does not."""
    import torch

    side = INPUT_SIDE[name]
    parity_record(path).unlink(missing_ok=True)
    shape = {0: torch.export.Dim("batch", min=1, max=4096)}
    if side is None:
        shape |= {2: torch.export.Dim("height", min=12, max=8192), 3: torch.export.Dim("width", min=12, max=8192)}
    example = torch.rand(2, 3, side or 64, side or 80) * 2 - 1
    write_graph(module, (example,), path, ["image"], list(OUTPUTS[name]), (shape,))
    run = _onnx_call(cpu_session(path))
    generator = torch.Generator().manual_seed(0)
    for height, width in ((side, side),) if side else ((12, 12), (37, 51), (301, 240)):
        images = torch.rand(3, 3, height, width, generator=generator) * 2 - 1
        with torch.inference_mode():
            reference = [output.numpy() for output in module(images)]
        difference = max(float(np.abs(a - b).max()) for a, b in zip(reference, run(images.numpy()), strict=True))
        if difference > PARITY_TOLERANCE:
            raise ValueError(f"the exported {name} differs from PyTorch by {difference:.2g}")
    record_parity(path)


def _onnx_call(session) -> Net:
    def run(images: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(session.run(None, {"image": images}))

    return run


def _torch_modules() -> dict:
    """facenet-pytorch's P-, R- and O-Net with its bundled weights, in inference mode."""
    try:
        from facenet_pytorch.models.mtcnn import ONet, PNet, RNet
    except ImportError as exc:
        raise MissingComponentError(
            "MTCNN needs facenet-pytorch: `pip install --no-deps facenet-pytorch==2.6.0`") from exc
    return {name: cls().eval() for name, cls in zip(NETS, (PNet, RNet, ONet), strict=True)}


def _torch_call(module) -> Net:
    import torch

    def run(images: np.ndarray) -> tuple[np.ndarray, ...]:
        with torch.inference_mode():
            return tuple(output.numpy() for output in module(torch.from_numpy(images)))

    return run
