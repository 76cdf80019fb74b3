"""The public Python API: the facade over the packages below it. The CLI and the HTTP service are thin layers
over the same functions."""

from __future__ import annotations

from pathlib import Path

from facetrust.detection import Scanner
from facetrust.faces.stage import FacesResult, FrameFaces, Source, find_faces, find_faces_or_error, load_input

__all__ = ["FacesResult", "FrameFaces", "Source", "find_faces", "find_faces_or_error", "load_input", "scan"]


def scan(source: Source, *, model: str | Path | None = None, name: str | None = None, **options: object):
    """Scan one image or video for fake faces with the bundled (or given) model: a `ScanResult`.

    Scanners are cached per (model, options), so repeated calls do not reload weights.
    """
    key = (str(model), tuple(sorted(options.items())))
    if key not in _SCANNERS:
        _SCANNERS[key] = Scanner(model, **options)  # type: ignore[arg-type]
    return _SCANNERS[key].scan(source, name=name)


_SCANNERS: dict[tuple, object] = {}
