"""BlazeFace first, MTCNN where BlazeFace is unsure: MTCNN's faces at about half its cost.

An input is settled by BlazeFace when it finds a face and every face it finds (down to a low candidate score)
scores at least `sure`; anything in between, or nothing at all, goes to the whole of MTCNN. On a settled input
MTCNN runs only where BlazeFace's faces are: its own three stages, on the pyramid levels whose window is at least a
third of a face's side, over the face and one side around it (`MTCNNDetector.detect_near`). Those are the pixels
and P-Net cells of MTCNN's whole pyramid, so the faces, and the crops the classifier sees, are MTCNN's own; if
MTCNN finds nothing there, the whole input goes to MTCNN. `sure`, the box framing, the levels and the region were
measured on validation inputs the face-finder benchmark does not read (docs/PERFORMANCE.md, "Face-finder cascade").
"""

from __future__ import annotations

import numpy as np

from facetrust.faces.detectors.base import FaceDetector, create_detector, register_detector
from facetrust.faces.types import Face

# BlazeFace faces scoring below this are not faces to it at all; one between it and `sure` sends the input to the
# whole of MTCNN. 0.1: the highest of 0.2, 0.15, 0.125, 0.1 at which every validation input got all of MTCNN's faces
# (at 0.2 only the largest: BlazeFace scores small background faces MTCNN finds at 0.1-0.2; docs/PERFORMANCE.md).
CANDIDATE = 0.1
# MTCNN's box from BlazeFace's, in units of BlazeFace's width and height: the median offsets of the left, top,
# right and bottom edges over the 468 validation inputs where both found the face (MTCNN's box is narrower and
# reaches higher up the forehead).
MTCNN_FRAMING = (0.059, -0.155, -0.075, 0.013)
# MTCNN's search around a settled face: the pyramid levels whose window is at least NEAR_SMALLEST of the face's
# side, over the face and NEAR_MARGIN sides around it. The cheapest pair of (2, 3) x (0.5, 1, 2) that gave every
# one of the 449 settled validation inputs exactly MTCNN's main face (docs/PERFORMANCE.md).
NEAR_SMALLEST, NEAR_MARGIN = 1 / 3, 1.0


def mtcnn_framing(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = box
    width, height = x2 - x1, y2 - y1
    left, top, right, bottom = MTCNN_FRAMING
    return x1 + left * width, y1 + top * height, x2 + right * width, y2 + bottom * height


@register_detector("cascade")
class CascadeDetector(FaceDetector):
    """`threshold` is the sure score on BlazeFace's scale; MTCNN keeps its own threshold."""

    default_threshold = 0.5  # docs/PERFORMANCE.md: BlazeFace settled 95.7% of validation inputs, all as MTCNN did
    # 2 (2026-12-05): candidate score 0.1, was 0.2; 1: MTCNN searches near BlazeFace's faces (before: its last two
    # stages on the boxes)
    revision = 2

    def __init__(self, threshold: float | None = None, max_side: int | None = None, nms_iou: float = 0.4,
                 min_face: int = 20) -> None:
        super().__init__(threshold, max_side, nms_iou, min_face)
        self.first = create_detector("blazeface", threshold=CANDIDATE, max_side=max_side, nms_iou=nms_iou,
                                     min_face=min_face)
        self.fallback = create_detector("mtcnn", max_side=max_side, nms_iou=nms_iou, min_face=min_face)

    def detect(self, image: np.ndarray) -> list[Face]:
        faces = self.first.detect(image)
        if faces and all(face.score is not None and face.score >= self.threshold for face in faces):
            near = self.fallback.detect_near(image, [mtcnn_framing(face.box) for face in faces],
                                             NEAR_SMALLEST, NEAR_MARGIN)
            if near:
                for face in near:
                    face.detector = self.name
                return near
        return self.fallback.detect(image)

    def _detect(self, image: np.ndarray) -> list[Face]:
        """The members resize, retry and filter on their own: the cascade only chooses between them."""
        return self.detect(image)
