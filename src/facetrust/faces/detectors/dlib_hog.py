"""dlib's HOG + linear SVM frontal face detector: CPU-cheap, misses small and turned faces."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from facetrust.errors import MissingComponentError
from facetrust.faces.detectors.base import FaceDetector, register_detector
from facetrust.faces.types import Face


@register_detector("dlib_hog")
class DlibHOGDetector(FaceDetector):
    """Score is the SVM margin (0 is dlib's own decision boundary), not a probability."""

    default_threshold = 0.0
    adds_dlib_landmarks = True

    @cached_property
    def _detector(self):
        try:
            import dlib
        except ImportError as exc:
            raise MissingComponentError("dlib HOG needs dlib: `pip install --no-deps dlib-bin`") from exc
        return dlib.get_frontal_face_detector()

    def _detect(self, image: np.ndarray) -> list[Face]:
        rects, scores, _ = self._detector.run(image, 0, -0.5)
        return [
            Face(box=(float(r.left()), float(r.top()), float(r.right()), float(r.bottom())),
                 score=float(s), detector=self.name)
            for r, s in zip(rects, scores, strict=True)
        ]
