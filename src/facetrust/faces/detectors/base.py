"""Detector base class and registry: every detector shares resizing, thresholding and NMS."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import cv2
import numpy as np

from facetrust.faces.detectors.suppression import nms
from facetrust.faces.landmarks import add_landmarks
from facetrust.faces.types import Face

# A box mostly outside the image shows too little face to judge; close-ups that overflow the frame
# a little (the Yonsei photos) keep 40-100% of their box inside.
MIN_INSIDE = 0.4
RETRY_BORDER = 0.25  # border added on each side, as a fraction of the longer side, for the retry

_REGISTRY: dict[str, type[FaceDetector]] = {}


class FaceDetector(ABC):
    """Finds faces in an RGB uint8 image. Subclasses implement `_detect` on a resized copy.

    `threshold` is on the detector's own score scale (a probability for MTCNN and SSD, an SVM margin
    for dlib HOG); `max_side` bounds the image the network sees, which bounds time and memory.
    """

    name: str = ""
    default_threshold: float = 0.5
    default_max_side: int = 640
    adds_dlib_landmarks: bool = False  # box-only detectors get eyes/nose/mouth from dlib's 68-point model
    # Raised whenever a detector's faces change, so caches of its crops are not reused; 0 (left out of the cache
    # key) keeps the caches written before detectors had revisions.
    revision: int = 0

    def __init__(self, threshold: float | None = None, max_side: int | None = None,
                 nms_iou: float = 0.4, min_face: int = 20) -> None:
        self.threshold = self.default_threshold if threshold is None else threshold
        self.max_side = max_side or self.default_max_side
        self.nms_iou = nms_iou
        self.min_face = min_face

    def detect(self, image: np.ndarray) -> list[Face]:
        """All faces above the threshold, largest first, boxes in the input image's pixels.

        When nothing is found, the search is repeated once on the image framed by a black border:
        cascades like MTCNN miss extreme close-ups whose face overflows the frame, and find them
        (scores 0.96-1.0 on the Yonsei close-ups they missed) once the face fits inside the canvas.
        """
        height, width = image.shape[:2]
        faces = self._detect_resized(image)
        if not faces:
            pad = round(RETRY_BORDER * max(height, width))
            framed = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
            faces = [f.shifted(-pad, -pad) for f in self._detect_resized(framed)]
        return self._kept(image, faces)

    def _kept(self, image: np.ndarray, faces: list[Face]) -> list[Face]:
        """The raw faces above the threshold and size limits, mostly inside the image, after NMS; largest first."""
        height, width = image.shape[:2]
        faces = [f for f in faces if (f.score is None or f.score >= self.threshold)
                 and min(f.width, f.height) >= self.min_face and _inside_fraction(f, width, height) >= MIN_INSIDE]
        faces = clipped_largest_first(non_max_suppression(faces, self.nms_iou), width, height)
        if self.adds_dlib_landmarks:
            add_landmarks(image, faces)
        return faces

    def _detect_resized(self, image: np.ndarray) -> list[Face]:
        """Run `_detect` on a copy no longer than max_side and map the faces back."""
        if (downscaled := self._downscaled(image)) is None:
            return []
        small, factor = downscaled
        return [f.scaled(1.0 / factor) for f in self._detect(small)]

    def _downscaled(self, image: np.ndarray) -> tuple[np.ndarray, float] | None:
        """A copy no longer than max_side and its scale. A copy narrower than the smallest face searched for
        cannot hold one (and crashes MTCNN's cascade or OpenCV's resize): None."""
        height, width = image.shape[:2]
        factor = min(1.0, self.max_side / max(height, width))
        if round(min(height, width) * factor) < self.min_face:
            return None
        small = image if factor == 1.0 else cv2.resize(
            image, (round(width * factor), round(height * factor)), interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(small), factor

    @abstractmethod
    def _detect(self, image: np.ndarray) -> list[Face]:
        """Raw candidate faces on the (possibly downscaled) image."""


def register_detector(name: str) -> Callable[[type[FaceDetector]], type[FaceDetector]]:
    """Class decorator adding a detector under `name`."""

    def add(cls: type[FaceDetector]) -> type[FaceDetector]:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return add


def create_detector(name: str, **kwargs: object) -> FaceDetector:
    """Instantiate a registered detector; an unknown name fails listing the known ones."""
    return _REGISTRY[known_detector(name)](**kwargs)  # type: ignore[arg-type]


def known_detector(name: str) -> str:
    """`name` if a detector is registered under it; else a ValueError listing the known ones."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown face detector {name!r}; known detectors: {', '.join(list_detectors())}")
    return name


def list_detectors() -> list[str]:
    return sorted(_REGISTRY)


def non_max_suppression(faces: list[Face], iou_threshold: float) -> list[Face]:
    """Keep the best-scoring face among boxes overlapping more than `iou_threshold`."""
    if len(faces) < 2:
        return faces
    scores = np.array([1.0 if f.score is None else f.score for f in faces], np.float32)
    return [faces[i] for i in nms(np.array([f.box for f in faces]), scores, iou_threshold)]


def _inside_fraction(face: Face, width: int, height: int) -> float:
    x1, y1, x2, y2 = face.box
    inside = max(0.0, min(x2, width) - max(x1, 0.0)) * max(0.0, min(y2, height) - max(y1, 0.0))
    return inside / face.area if face.area > 0 else 0.0


def clip_to_image(face: Face, width: int, height: int) -> Face:
    x1, y1, x2, y2 = face.box
    face.box = (max(0.0, x1), max(0.0, y1), min(float(width), x2), min(float(height), y2))
    return face


def clipped_largest_first(faces: list[Face], width: int, height: int) -> list[Face]:
    """The faces with their boxes clipped to the image, largest first: the order every detector returns."""
    return sorted((clip_to_image(face, width, height) for face in faces), key=lambda f: f.area, reverse=True)
