"""Self-blended images (SBI; Shiohara & Yamasaki, CVPR 2022): fakes made from real faces only.

A face is pasted onto itself after a mild colour, sharpness and scale change, inside a mask drawn from its
own 68 landmarks. The result keeps identity, pose and expression, so the only thing that tells it from the
original is what every face swap or composite also leaves behind: a blending boundary and a patch whose
colour and frequency statistics differ slightly from their surroundings. A model trained on real faces and
their self-blends learns that boundary without ever seeing a generator's output.

With a donor, the pasted copy is another real face instead, aligned onto this one by its landmarks and colour-matched
inside the mask (Face X-ray's blending, Li et al., CVPR 2020): the seam of a composite or swap made from another
photo, whose patch differs in identity and texture as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from skimage.transform import SimilarityTransform

from facetrust.data.augment import unsharp

BLEND_RATIOS = (0.25, 0.5, 0.75, 1.0, 1.0, 1.0)  # the paper's draw: mostly full pastes, some faint ones
NEGLIGIBLE = 1 / 512
CUES = ("colour", "frequency", "geometry")  # what the pasted copy may differ by
# "all": every blend differs by every cue (candidate A's recipe); "independent": each cue drawn on its own with
# probability 1/2, at least one, so no single cue (colour, which swap pipelines match) explains every blend
CueMode = Literal["all", "independent"]
# "face": the mask is the whole face or the inner face (the paper's); "face_and_parts": a third of the blends are
# pasted inside one or more facial parts only (eyes with their brows, nose, mouth), the local edit that Photoshop
# composites and mouth-only reenactment leave, where the seam runs through the face instead of around it
MaskMode = Literal["face", "face_and_parts"]
PART_SHARE = 1 / 3
PARTS = {  # dlib-68 indices of each part (the subject's right eye is on the image's left)
    "right_eye": np.r_[17:22, 36:42],
    "left_eye": np.r_[22:27, 42:48],
    "nose": np.r_[27:36],
    "mouth": np.r_[48:68],
}


DONOR_CANDIDATES = 16  # Face X-ray's nearest-landmarks search, over this many random candidates


@dataclass(frozen=True)
class Donor:
    """Another real face to paste from (uint8 RGB, the same size) and its 68 landmarks."""

    face: np.ndarray
    points: np.ndarray


@dataclass(frozen=True)
class SelfBlend:
    """A blended face (uint8 RGB) and the mask that made it (float32 in [0, 1], 0 where pixels are untouched)."""

    image: np.ndarray
    mask: np.ndarray


def self_blend(face: np.ndarray, points: np.ndarray, rng: np.random.Generator, cues: CueMode = "all",
               masks: MaskMode = "face", donor: Donor | None = None) -> SelfBlend:
    """Blend `face` (uint8 RGB, square) with an altered copy of itself, or of `donor` aligned onto it, inside a mask
    from its 68 `points`.

    Pixels where the returned mask is 0 are exactly the input's; the caller applies the one JPEG.
    """
    mask = _blend_mask(face.shape[:2], points, rng, masks) * rng.choice(BLEND_RATIOS)
    mask[mask < NEGLIGIBLE] = 0.0  # the blurs' far tails: weights that could not move a pixel by one level
    chosen = chosen_cues(cues, rng)
    source = face if donor is None else _colour_matched(_aligned(donor, points, face.shape[:2]), face, mask > 0)
    source = _recolour(source, rng) if "colour" in chosen else source
    source = _refocus(source, rng) if "frequency" in chosen else source
    source = _shift_and_scale(source, rng) if "geometry" in chosen else source
    weight = mask[..., None]
    blended = face.astype(np.float32) * (1.0 - weight) + source.astype(np.float32) * weight
    image = np.where(weight > 0, np.clip(np.rint(blended), 0, 255), face).astype(np.uint8)
    return SelfBlend(image, mask.astype(np.float32))


def _blend_mask(shape: tuple[int, int], points: np.ndarray, rng: np.random.Generator,
                masks: MaskMode = "face") -> np.ndarray:
    """The outline to paste inside: facial parts (with `face_and_parts`, a third of the time), else the convex hull
    of the landmarks (whole face, or the inner face without the jaw line's lower part); then feathered."""
    height, width = shape
    if masks == "face_and_parts" and rng.random() < PART_SHARE:
        return _feathered(_parts_outline(shape, points, rng), rng, width // 2)
    chosen = points if rng.random() < 0.5 else points[np.r_[2:15, 17:68]]
    hull = cv2.convexHull(np.round(chosen).astype(np.int32))
    mask = np.zeros((height, width), np.float32)
    cv2.fillConvexPoly(mask, hull, 1.0)
    return _feathered(mask, rng, width)


def _parts_outline(shape: tuple[int, int], points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One or more facial parts (each drawn with probability 1/2), each hull grown by 10-30% of its own size so
    the seam runs through the skin around the part, as a cut-out pasted from another photo's does."""
    mask = np.zeros(shape, np.float32)
    for part in nonempty_subset(tuple(PARTS), rng):
        part_points = np.round(points[PARTS[part]]).astype(np.int32)
        single = np.zeros(shape, np.float32)
        cv2.fillConvexPoly(single, cv2.convexHull(part_points), 1.0)
        size = float(np.ptp(part_points, axis=0).max())
        grow = max(1, int(size * rng.uniform(0.1, 0.3)))
        mask = np.maximum(mask, cv2.dilate(single, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow))))
    return mask


def _feathered(mask: np.ndarray, rng: np.random.Generator, reference: int) -> np.ndarray:
    """An outline grown or shrunk, elastically deformed and softened by two blurs, each scaled to `reference`
    pixels (the crop's width for a whole-face mask), and normalised to peak 1."""
    kernel = max(1, int(rng.integers(1, max(2, reference // 16))))
    element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel, kernel))
    mask = cv2.dilate(mask, element) if rng.random() < 0.5 else cv2.erode(mask, element)
    mask = _elastic(mask, rng, reference)
    for _ in range(2):
        mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(reference / 128, reference / 24))
    peak = float(mask.max())
    return mask / peak if peak > 0 else mask


def _elastic(mask: np.ndarray, rng: np.random.Generator, reference: int) -> np.ndarray:
    """A smooth random displacement of the mask (its outline wobbles as a real swap's seam does)."""
    height, width = mask.shape
    strength, smoothness = reference * rng.uniform(0.05, 0.15), reference / 16
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (height, width)).astype(np.float32), (0, 0), smoothness)
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (height, width)).astype(np.float32), (0, 0), smoothness)
    scale = strength / max(float(np.abs(dx).max()), float(np.abs(dy).max()), 1e-6)
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return cv2.remap(mask, grid_x + dx * scale, grid_y + dy * scale, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def chosen_cues(cues: CueMode, rng: np.random.Generator) -> tuple[str, ...]:
    """The cues one blend's pasted copy differs by (`CUES` in order)."""
    return CUES if cues == "all" else nonempty_subset(CUES, rng)


def nonempty_subset(items: tuple[str, ...], rng: np.random.Generator) -> tuple[str, ...]:
    """Each item kept with probability 1/2, drawn again until at least one is (in `items`' order)."""
    while True:
        chosen = tuple(item for item in items if rng.random() < 0.5)
        if chosen:
            return chosen


def _recolour(face: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shifted colour channels, hue, saturation, brightness and contrast."""
    pixels = face.astype(np.float32) + rng.uniform(-20, 20, 3).astype(np.float32)
    hsv = cv2.cvtColor(np.clip(pixels, 0, 255).astype(np.uint8), cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-5, 5)) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.85, 1.15), 0, 255)
    pixels = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    pixels = (pixels - pixels.mean()) * rng.uniform(0.9, 1.1) + pixels.mean() * rng.uniform(0.9, 1.1)
    return np.clip(pixels, 0, 255).astype(np.uint8)


def _refocus(altered: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Softened by a down-then-up resampling, or sharpened."""
    size = altered.shape[1], altered.shape[0]
    if rng.random() < 0.5:
        small = (max(8, int(size[0] * rng.uniform(0.4, 0.8))), max(8, int(size[1] * rng.uniform(0.4, 0.8))))
        return cv2.resize(cv2.resize(altered, small, interpolation=cv2.INTER_AREA), size,
                          interpolation=cv2.INTER_LINEAR)
    return unsharp(altered, rng.uniform(0.3, 1.0))


def _shift_and_scale(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A small translation and zoom of the pasted copy, so features land slightly off their originals."""
    height, width = image.shape[:2]
    zoom = rng.uniform(0.95, 1.05)
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), 0.0, zoom)
    matrix[:, 2] += rng.uniform(-0.03, 0.03, 2) * (width, height)
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def closest_donor(points: np.ndarray, candidates: list[Donor]) -> Donor:
    """The candidate whose landmarks, once aligned onto `points`, lie nearest them (similar pose and expression, so
    the pasted face does not ghost a second pair of eyes or a second mouth)."""
    return min(candidates, key=lambda donor: _alignment_error(donor.points, points))


def _similarity(source: np.ndarray, target: np.ndarray) -> SimilarityTransform:
    """The rotation, uniform scale and shift that carries `source` points onto `target`, by least squares over all
    of them (Umeyama), so every landmark counts and no random sampling enters."""
    transform = SimilarityTransform.from_estimate(source, target)
    return transform if transform else SimilarityTransform()  # degenerate points: paste unmoved


def _alignment_error(source: np.ndarray, target: np.ndarray) -> float:
    return float(np.linalg.norm(_similarity(source, target)(source) - target, axis=1).mean())


def _aligned(donor: Donor, points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The donor face warped so its landmarks lie on `points`."""
    height, width = shape
    return cv2.warpAffine(donor.face, _similarity(donor.points, points).params[:2], (width, height),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def _colour_matched(source: np.ndarray, face: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """`source` with each Lab channel's mean and spread inside the mask moved to `face`'s there (Reinhard et al.),
    as a compositor or a swap pipeline matches skin tone before pasting."""
    if not inside.any():
        return source
    lab_source = cv2.cvtColor(source, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab_face = cv2.cvtColor(face, cv2.COLOR_RGB2LAB).astype(np.float32)
    mean_s, std_s = lab_source[inside].mean(axis=0), lab_source[inside].std(axis=0) + 1e-3
    mean_f, std_f = lab_face[inside].mean(axis=0), lab_face[inside].std(axis=0)
    matched = (lab_source - mean_s) / std_s * std_f + mean_f
    return cv2.cvtColor(np.clip(matched, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)
