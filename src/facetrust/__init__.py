"""facetrust: is this face real? Detect AI-generated and manipulated faces in images and videos.

The public names load on first use, so `import facetrust` (and `facetrust --help`) stays light.
"""

from __future__ import annotations

import importlib

from facetrust.errors import FacetrustError, MediaError

__version__ = "0.1.0"

_LAZY = {"FacesResult": "facetrust.faces.stage", "find_faces": "facetrust.faces.stage",
         "load_input": "facetrust.faces.stage", "scan": "facetrust.api", "FaceFinder": "facetrust.faces",
         "create_detector": "facetrust.faces", "list_detectors": "facetrust.faces"}

__all__ = ["FaceFinder", "FacesResult", "FacetrustError", "MediaError", "__version__", "create_detector",
           "find_faces", "list_detectors", "load_input", "scan"]


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'facetrust' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
