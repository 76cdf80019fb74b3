"""MTCNN (facenet-pytorch weights): slower than BlazeFace, but finds small and turned faces."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from facetrust.faces.detectors import mtcnn_stages
from facetrust.faces.detectors.base import FaceDetector, register_detector
from facetrust.faces.types import Face


@register_detector("mtcnn")
class MTCNNDetector(FaceDetector):
    """P/R/O-net cascade; returns five landmarks, which we reduce to eyes, nose and mouth centre."""

    # Real faces score above 0.99; background clutter (hands, hair, captions) was seen at 0.91-0.94
    # on FF++ frames, distant real faces at 0.95+.
    default_threshold = 0.95

    @cached_property
    def nets(self) -> mtcnn_stages.MtcnnNets:
        from facetrust.faces.detectors.mtcnn_nets import load_nets

        return load_nets()

    def _detect(self, image: np.ndarray) -> list[Face]:
        return self._faces(mtcnn_stages.find(image, self.nets, self.min_face))

    def detect_near(self, image: np.ndarray, boxes: list[tuple[float, float, float, float]], smallest: float,
                    margin: float) -> list[Face]:
        """The faces `detect` keeps, searched for only around boxes in MTCNN's framing that another detector
        found (`mtcnn_stages.find_near`): MTCNN's own faces there at a fraction of its pyramid's cost. No border
        retry: a caller that finds nothing here asks `detect`."""
        if (downscaled := self._downscaled(image)) is None:
            return []
        small, factor = downscaled
        found = mtcnn_stages.find_near(small, self.nets, self.min_face, np.asarray(boxes, np.float32) * factor,
                                       smallest, margin)
        return self._kept(image, [face.scaled(1.0 / factor) for face in self._faces(found)])

    def _faces(self, found: mtcnn_stages.Found) -> list[Face]:
        return [self._face(box, score, points)
                for box, score, points in zip(found.boxes, found.scores, found.points, strict=True)]

    def _face(self, box: np.ndarray, score: float, points: np.ndarray) -> Face:
        return Face(
            box=tuple(float(v) for v in box),  # type: ignore[arg-type]
            score=float(score),
            landmarks={
                "left_eye": (float(points[0][0]), float(points[0][1])),
                "right_eye": (float(points[1][0]), float(points[1][1])),
                "nose": (float(points[2][0]), float(points[2][1])),
                "mouth": (float(points[3:5, 0].mean()), float(points[3:5, 1].mean())),
            },
            detector=self.name,
        )
