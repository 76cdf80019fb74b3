"""facetrust: is this face real? Detect AI-generated and manipulated faces in images and videos."""

from facetrust.api import FacesResult, find_faces, load_input, scan
from facetrust.errors import FacetrustError, MediaError
from facetrust.faces import FaceFinder, create_detector, list_detectors

__version__ = "0.1.0"

__all__ = ["FaceFinder", "FacesResult", "FacetrustError", "MediaError", "__version__", "create_detector",
           "find_faces", "list_detectors", "load_input", "scan"]
