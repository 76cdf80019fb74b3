"""facetrust: is this face real? Detect AI-generated and manipulated faces in images and videos.

The public names load on first use, so `import facetrust` (and `facetrust --help`) stays light.
"""

from facetrust.errors import FacetrustError, MediaError
from facetrust.lazy import lazy_exports

__version__ = "0.1.0"

__all__ = ["FaceFinder", "FacesResult", "FacetrustError", "MediaError", "__version__", "create_detector",
           "find_faces", "list_detectors", "load_input", "scan"]

__getattr__ = lazy_exports(__name__, {
    "FacesResult": "facetrust.faces.stage", "find_faces": "facetrust.faces.stage",
    "load_input": "facetrust.faces.stage", "scan": "facetrust.api", "FaceFinder": "facetrust.faces.finder",
    "create_detector": "facetrust.faces.detectors", "list_detectors": "facetrust.faces.detectors"})
