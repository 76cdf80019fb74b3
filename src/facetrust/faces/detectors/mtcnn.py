"""MTCNN (facenet-pytorch weights): slowest of the three, but finds small and turned faces."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import torch

from facetrust.errors import MissingComponentError
from facetrust.faces.detectors.base import FaceDetector, register_detector
from facetrust.faces.types import Face


@register_detector("mtcnn")
class MTCNNDetector(FaceDetector):
    """P/R/O-net cascade; returns five landmarks, which we reduce to eyes, nose and mouth centre."""

    # Real faces score above 0.99; background clutter (hands, hair, captions) was seen at 0.91-0.94
    # on FF++ frames, distant real faces at 0.95+.
    default_threshold = 0.95

    @cached_property
    def _model(self):
        try:
            from facenet_pytorch import MTCNN
        except ImportError as exc:
            raise MissingComponentError(
                "MTCNN needs facenet-pytorch: `pip install --no-deps facenet-pytorch==2.6.0`") from exc
        return MTCNN(keep_all=True, min_face_size=self.min_face, device="cpu", post_process=False)

    def _detect(self, image: np.ndarray) -> list[Face]:
        with torch.inference_mode():
            boxes, probs, points = self._model.detect(image, landmarks=True)
        if boxes is None:
            return []
        return [
            Face(
                box=tuple(float(v) for v in box),  # type: ignore[arg-type]
                score=float(prob),
                landmarks={
                    "left_eye": (float(pts[0][0]), float(pts[0][1])),
                    "right_eye": (float(pts[1][0]), float(pts[1][1])),
                    "nose": (float(pts[2][0]), float(pts[2][1])),
                    "mouth": (float(pts[3:5, 0].mean()), float(pts[3:5, 1].mean())),
                },
                detector=self.name,
            )
            for box, prob, pts in zip(boxes, probs, points, strict=True)
        ]
