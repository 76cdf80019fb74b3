"""Face detectors by name. Importing this package registers every built-in detector."""

from facetrust.faces.detectors import blazeface, cascade, dlib_hog, mtcnn, ssd
from facetrust.faces.detectors.base import (
    FaceDetector,
    create_detector,
    known_detector,
    list_detectors,
    register_detector,
)

__all__ = ["FaceDetector", "blazeface", "cascade", "create_detector", "dlib_hog", "known_detector", "list_detectors",
           "mtcnn", "register_detector", "ssd"]
