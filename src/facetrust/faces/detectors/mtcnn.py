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
        return [self._face(box, prob, pts) for box, prob, pts in zip(boxes, probs, points, strict=True)]

    def _face(self, box: np.ndarray, prob: float, points: np.ndarray) -> Face:
        return Face(
            box=tuple(float(v) for v in box),  # type: ignore[arg-type]
            score=float(prob),
            landmarks={
                "left_eye": (float(points[0][0]), float(points[0][1])),
                "right_eye": (float(points[1][0]), float(points[1][1])),
                "nose": (float(points[2][0]), float(points[2][1])),
                "mouth": (float(points[3:5, 0].mean()), float(points[3:5, 1].mean())),
            },
            detector=self.name,
        )

    def refine(self, image: np.ndarray, boxes: list[tuple[float, float, float, float]]) -> list[Face | None]:
        """MTCNN's own last two stages (R-Net, then O-Net) on face boxes in MTCNN's framing that another
        detector found: MTCNN's landmarks and score without its image pyramid, the costly part. None where
        O-Net does not see a face."""
        from facenet_pytorch.models.utils.detect_face import bbreg, imresample, pad, rerec

        model = self._model
        height, width = image.shape[:2]
        pixels = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).unsqueeze(0).float()
        current = torch.tensor(boxes, dtype=torch.float32)

        def stage(net: torch.nn.Module, size: int) -> tuple[torch.Tensor, ...]:
            y, ey, x, ex = pad(current, width, height)
            crops = torch.cat([imresample(pixels[:, :, y[k] - 1:ey[k], x[k] - 1:ex[k]], (size, size))
                               for k in range(len(current))])
            return net((crops - 127.5) * 0.0078125)

        with torch.inference_mode():
            current = rerec(current)
            current = rerec(bbreg(current, stage(model.rnet, 24)[0]))
            regression, points, scores = stage(model.onet, 48)
            sides = (current[:, 2:4] - current[:, :2] + 1).repeat_interleave(5, dim=1)
            corners = current[:, :2].repeat_interleave(5, dim=1)
            xy = points[:, [0, 5, 1, 6, 2, 7, 3, 8, 4, 9]] * sides[:, [0, 5] * 5] + corners[:, [0, 5] * 5] - 1
            final = bbreg(current.clone(), regression)
        return [self._face(box.numpy(), float(score), pts.reshape(5, 2).numpy())
                if score >= model.thresholds[2] else None
                for box, score, pts in zip(final[:, :4], scores[:, 1], xy, strict=True)]
