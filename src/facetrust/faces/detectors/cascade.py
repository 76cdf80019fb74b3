"""BlazeFace first, MTCNN where BlazeFace is unsure: MTCNN's recall at close to BlazeFace's cost.

An input is settled by BlazeFace alone when it finds a face and every face it finds (down to a low candidate
score) scores at least `sure`; anything in between, or nothing at all, goes to MTCNN, whose faces are then used
as they are. `sure` was chosen on validation inputs the face-finder benchmark does not read (docs/PERFORMANCE.md,
"Face-finder cascade").
"""

from __future__ import annotations

import numpy as np

from facetrust.faces.detectors.base import FaceDetector, create_detector, register_detector
from facetrust.faces.types import Face

CANDIDATE = 0.2  # BlazeFace faces scoring below this are not faces to it at all


@register_detector("cascade")
class CascadeDetector(FaceDetector):
    """`threshold` is the sure score on BlazeFace's scale; MTCNN keeps its own threshold."""

    default_threshold = 0.5  # docs/PERFORMANCE.md: BlazeFace settled 95.7% of validation inputs, all as MTCNN did

    def __init__(self, threshold: float | None = None, max_side: int | None = None, nms_iou: float = 0.4,
                 min_face: int = 20) -> None:
        super().__init__(threshold, max_side, nms_iou, min_face)
        self.first = create_detector("blazeface", threshold=CANDIDATE, max_side=max_side, nms_iou=nms_iou,
                                     min_face=min_face)
        self.fallback = create_detector("mtcnn", max_side=max_side, nms_iou=nms_iou, min_face=min_face)

    def detect(self, image: np.ndarray) -> list[Face]:
        faces = self.first.detect(image)
        if faces and all(face.score is not None and face.score >= self.threshold for face in faces):
            return faces
        return self.fallback.detect(image)

    def _detect(self, image: np.ndarray) -> list[Face]:
        """The members resize, retry and filter on their own: the cascade only chooses between them."""
        return self.detect(image)
