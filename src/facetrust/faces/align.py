"""Aligned square face crops: eyes level and a fixed face scale, so every model sees faces the same way."""

from __future__ import annotations

import cv2
import numpy as np

from facetrust.faces.types import Face

# Where the landmarks sit in a tight, unit-sized face square (the ArcFace 112x112 template / 112;
# mouth is the mean of its two corners). A margin shrinks this template toward the centre.
TEMPLATE = {
    "left_eye": (0.3419, 0.4616),
    "right_eye": (0.6565, 0.4598),
    "nose": (0.5002, 0.6405),
    "mouth": (0.5012, 0.8239),
}
TEMPLATE_CENTRE = (0.5, 0.56)  # the face's centre in that square, kept at the crop centre


def align_face(image: np.ndarray, face: Face, size: int = 224, margin: float = 0.3) -> np.ndarray:
    """Warp the face to a `size`x`size` crop; `margin` is extra context as a fraction of the face size.

    With eyes (and mouth) known, a similarity transform puts them on the template (eyes level, fixed
    scale); with a box only, the crop is the box's square around its centre. Outside the image is black:
    inventing pixels by reflection would feed a forgery detector content no camera recorded.
    """
    names = [n for n in ("left_eye", "right_eye", "mouth", "nose") if n in face.landmarks]
    if {"left_eye", "right_eye"} <= set(names):
        src = np.array([face.landmarks[n] for n in names], dtype=np.float32)
        dst = np.array([_template_point(n, size, margin) for n in names], dtype=np.float32)
        matrix, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.LMEDS)
        if matrix is not None:
            return _warp(image, matrix, size)
    return crop_box(image, face.box, size, margin)


def crop_box(image: np.ndarray, box: tuple[float, float, float, float], size: int,
             margin: float) -> np.ndarray:
    """Square crop around a box's centre, side = longer box side x (1 + margin), resized to `size`."""
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1) * (1.0 + margin)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    scale = size / max(side, 1.0)
    matrix = np.array([[scale, 0, size / 2 - cx * scale], [0, scale, size / 2 - cy * scale]], np.float32)
    return _warp(image, matrix, size)


def whole_image(image: np.ndarray, size: int) -> np.ndarray:
    """For inputs that already are face crops: the whole image, centred on a square, resized."""
    height, width = image.shape[:2]
    if height == width == size:  # the warp would be the identity (exactly: cubic weights are 1, 0, 0, 0)
        return image.copy()
    return crop_box(image, (0.0, 0.0, float(width), float(height)), size, margin=0.0)


def reframe(found_crop: np.ndarray, box: tuple[float, float, float, float] | None, image_size: tuple[int, int],
            from_margin: float, to_margin: float, size: int) -> np.ndarray:
    """The same face with another margin, cut from a crop the finder made, without the original image.

    An aligned crop (`box` None) made with `from_margin` has the face at its centre, so the new crop is its
    centre (a wider margin than the crop holds cannot be invented: the crop is used as it is then). A
    whole-image crop (`whole_image`) holds the face `box`, given in image pixels, at a known place.
    """
    side = found_crop.shape[0]
    if box is not None:
        width, height = image_size
        scale = side / max(width, height)
        x1, y1, x2, y2 = ((v - c) * scale + side / 2 for v, c in zip(box, (width / 2, height / 2) * 2, strict=True))
        return crop_box(found_crop, (x1, y1, x2, y2), size, to_margin)
    keep = min(side, round(side * (1 + to_margin) / (1 + from_margin)))
    start = (side - keep) // 2
    cut = found_crop[start:start + keep, start:start + keep]
    return cv2.resize(cut, (size, size), interpolation=cv2.INTER_AREA if keep > size else cv2.INTER_CUBIC)


def _template_point(name: str, size: int, margin: float) -> tuple[float, float]:
    return template_to_crop(*TEMPLATE[name], size, margin)


def template_to_crop(x: float, y: float, size: int, margin: float) -> tuple[float, float]:
    """Where a point of the unit face square of the template lands in an aligned crop of `size` and `margin`."""
    cx, cy = TEMPLATE_CENTRE
    shrink = 1.0 / (1.0 + margin)
    return ((0.5 + (x - cx) * shrink) * size, (0.5 + (y - cy) * shrink) * size)


def _warp(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    # INTER_AREA is only valid for pure downscaling; cubic keeps detail either way.
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
