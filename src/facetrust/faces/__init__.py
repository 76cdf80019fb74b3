"""Face detection (registry), landmarks, alignment, crops, and the face stage. Names load on first use."""

from facetrust.lazy import lazy_exports

DEFAULT_DETECTOR = "mtcnn"  # the face detector used unless one is named (docs/PERFORMANCE.md: the best on both sets)

__all__ = ["DEFAULT_DETECTOR", "CropMode", "Face", "FaceFinder", "FoundFace", "align_face", "create_detector",
           "list_detectors"]

__getattr__ = lazy_exports(__name__, {
    "CropMode": "facetrust.faces.finder", "FaceFinder": "facetrust.faces.finder",
    "FoundFace": "facetrust.faces.finder", "Face": "facetrust.faces.types", "align_face": "facetrust.faces.align",
    "create_detector": "facetrust.faces.detectors", "list_detectors": "facetrust.faces.detectors"})
