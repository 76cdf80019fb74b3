"""How sharp and how grainy a face crop is, read on its centre where the face is: the routed detector sends soft
faces to the pair trained for them by `sharpness`, and the decision rule will not call a face real whose grain
(`noise_level`) is over the card's ceiling (docs/VERDICT_SCHEMA.md, "Noisiest face judged")."""

from __future__ import annotations

import cv2
import numpy as np

# Immerkaer's kernel: zero response to edges of first and second order, so what it measures in a face is grain
_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float64)
_FRAME_BAND = np.ones((7, 7), np.uint8)  # 3 px each side of the frame: the aligner's interpolated edge


def sharpness(crop: np.ndarray, skip_frame: bool = False) -> float:
    """Variance of the Laplacian of the grey centre half of an RGB uint8 crop: low when the face is blurred (and
    for some natively smooth fakes), read where the face is rather than on the background. With `skip_frame`, read
    on the photo's pixels only: the black frame the aligner adds where a tight photo ends (pixels exactly 0) and the
    band around its edge are left out, since that straight edge would read as sharp however blurred the face is
    (docs/DETECTOR.md, "Candidate U"); a centre that is nearly all frame reads 0."""
    laplacian = cv2.Laplacian(_centre_grey(crop), cv2.CV_64F)
    if not skip_frame:
        return float(laplacian.var())
    frame = cv2.dilate((crop.max(axis=2) == 0).astype(np.uint8), _FRAME_BAND)
    height, width = frame.shape
    photo = frame[height // 4:3 * height // 4, width // 4:3 * width // 4] == 0
    return float(laplacian[photo].var()) if photo.mean() >= 0.1 else 0.0


def noise_level(crop: np.ndarray) -> float:
    """Estimated sigma of pixel noise in the grey centre half of an RGB uint8 crop (J. Immerkaer, "Fast noise
    variance estimation", CVIU 1996): clean validation faces give about 1, photos given noise of sigma 20 about 9."""
    centre = _centre_grey(crop).astype(np.float64)
    response = cv2.filter2D(centre, -1, _NOISE_KERNEL)[1:-1, 1:-1]
    return float(np.sqrt(np.pi / 2) * np.abs(response).mean() / 6)


def _centre_grey(crop: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    height, width = grey.shape
    return grey[height // 4:3 * height // 4, width // 4:3 * width // 4]
