"""Face detection (registry), landmarks, alignment and crops."""

from facetrust.faces.align import align_face
from facetrust.faces.detectors import create_detector, list_detectors
from facetrust.faces.finder import DEFAULT_DETECTOR, CropMode, FaceFinder, FoundFace
from facetrust.faces.types import Face

__all__ = ["DEFAULT_DETECTOR", "CropMode", "Face", "FaceFinder", "FoundFace", "align_face", "create_detector",
           "list_detectors"]
