"""dlib's 68-point shape predictor, reduced to the named landmarks alignment needs."""

from __future__ import annotations

from functools import cache

import numpy as np

from facetrust.faces.align import template_to_crop
from facetrust.faces.types import Face, Point
from facetrust.faces.weights import package_file


@cache
def _predictor():
    import dlib

    return dlib.shape_predictor(str(package_file(
        "face_recognition_models", "models", "shape_predictor_68_face_landmarks.dat")))


def shape_68(image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """dlib's 68 (x, y) points (iBUG order: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67)."""
    import dlib

    rect = dlib.rectangle(*(round(v) for v in box))
    shape = _predictor()(image, rect)
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def crop_shape_68(crop: np.ndarray, margin: float) -> np.ndarray:
    """dlib's 68 points of the face in an aligned crop (`align_face` with `margin`): the face square of the
    alignment template is where the face is, so no detector runs."""
    size = crop.shape[0]
    box = (*template_to_crop(0.0, 0.0, size, margin), *template_to_crop(1.0, 1.0, size, margin))
    return shape_68(np.ascontiguousarray(crop), box)


def landmarks_68(image: np.ndarray, box: tuple[float, float, float, float]) -> dict[str, Point]:
    """Eyes, nose tip and mouth centre for a face box, from dlib's 68-point model (about 1 ms)."""
    points = shape_68(image, box)
    return {
        "left_eye": _point(points[36:42].mean(axis=0)),
        "right_eye": _point(points[42:48].mean(axis=0)),
        "nose": _point(points[30]),
        "mouth": _point(points[[48, 54]].mean(axis=0)),
    }


def add_landmarks(image: np.ndarray, faces: list[Face]) -> list[Face]:
    """Fill in landmarks for box-only detections so every face can be aligned the same way."""
    for face in faces:
        if not face.landmarks:
            face.landmarks = landmarks_68(image, face.box)
    return faces


def _point(xy: np.ndarray) -> Point:
    return float(xy[0]), float(xy[1])
