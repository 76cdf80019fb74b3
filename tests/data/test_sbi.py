"""Self-blended images: made from a real face's own landmarks, touching nothing outside the mask."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from facetrust.data.sbi import CUES, PARTS, Donor, chosen_cues, closest_donor, self_blend
from facetrust.faces import FaceFinder
from facetrust.faces.landmarks import crop_shape_68


@pytest.fixture(scope="module")
def face_and_points(astronaut):
    finder = FaceFinder("mtcnn", mode="detect", size=256, margin=0.3, all_faces=False)
    crop = finder.find(astronaut)[0].crop
    return crop, crop_shape_68(crop, 0.3)


def test_landmarks_of_an_aligned_crop_sit_on_the_face(face_and_points):
    _crop, points = face_and_points
    assert points.shape == (68, 2)
    eyes = points[36:48].mean(axis=0)
    mouth = points[48:68].mean(axis=0)
    assert 0.3 * 256 < eyes[0] < 0.7 * 256 and eyes[1] < mouth[1]  # eyes centred, above the mouth


def test_pixels_outside_the_mask_are_unchanged_and_inside_some_change(face_and_points):
    crop, points = face_and_points
    for seed in range(5):
        blend = self_blend(crop, points, np.random.default_rng(seed))
        outside = blend.mask == 0
        assert outside.any() and (~outside).any()
        assert np.array_equal(blend.image[outside], crop[outside])
        assert np.abs(blend.image.astype(int) - crop.astype(int))[~outside].mean() > 0.5
        assert blend.mask.max() <= 1.0


def test_a_seed_reproduces_a_sample_and_another_seed_does_not(face_and_points):
    crop, points = face_and_points
    first = self_blend(crop, points, np.random.default_rng(7))
    again = self_blend(crop, points, np.random.default_rng(7))
    other = self_blend(crop, points, np.random.default_rng(8))
    assert np.array_equal(first.image, again.image) and np.array_equal(first.mask, again.mask)
    assert not np.array_equal(first.image, other.image)


def test_the_mask_covers_the_face_not_the_background(face_and_points):
    crop, points = face_and_points
    mask = self_blend(crop, points, np.random.default_rng(3)).mask
    nose = points[30].round().astype(int)
    assert mask[nose[1], nose[0]] > 0
    assert mask[:8, :8].max() == 0 and mask[-8:, -8:].max() == 0


def test_independent_cues_leave_each_cue_out_sometimes_and_never_all():
    rng = np.random.default_rng(0)
    drawn = [chosen_cues("independent", rng) for _ in range(200)]
    assert all(drawn) and all(set(cues) <= set(CUES) for cues in drawn)
    for cue in CUES:
        assert 0.3 < np.mean([cue in cues for cues in drawn]) < 0.8, cue
    assert chosen_cues("all", rng) == CUES


def test_independent_cues_leave_many_blends_with_the_faces_own_colour(face_and_points):
    crop, points = face_and_points

    def colour_shift(cues: str, seed: int) -> float:
        blend = self_blend(crop, points, np.random.default_rng(seed), cues=cues)
        core = blend.mask >= 0.99 * blend.mask.max()
        return float(np.abs(blend.image[core].astype(float).mean(0) - crop[core].astype(float).mean(0)).max())

    assert min(colour_shift("all", seed) for seed in range(20)) > 3  # every blend recoloured
    assert sum(colour_shift("independent", seed) < 2 for seed in range(20)) >= 4  # colour left out of many


def _face_area(points) -> float:
    return float(cv2.contourArea(cv2.convexHull(points.astype(np.float32))))


def test_part_blends_paste_inside_facial_parts_only(face_and_points):
    crop, points = face_and_points
    blends = [self_blend(crop, points, np.random.default_rng(seed), masks="face_and_parts") for seed in range(30)]
    small = [b for b in blends if (b.mask > 0).sum() < 0.6 * _face_area(points)]
    assert 4 <= len(small) <= 18  # about a third of the blends are part blends
    for blend in small:
        centres = [points[index].mean(axis=0).round().astype(int) for index in PARTS.values()]
        assert max(blend.mask[y, x] for x, y in centres) > 0  # at least one part is pasted
        chin = points[8].round().astype(int)
        assert blend.mask[chin[1], chin[0]] == 0  # the jaw line is untouched
        assert np.array_equal(blend.image[blend.mask == 0], crop[blend.mask == 0])


def test_face_masks_never_draw_part_blends(face_and_points):
    crop, points = face_and_points
    areas = [(self_blend(crop, points, np.random.default_rng(seed)).mask > 0).sum() for seed in range(15)]
    assert min(areas) >= 0.6 * _face_area(points)


def _moved(crop, points, shift=(12.0, -7.0), zoom=1.1):
    """The crop zoomed, shifted and given a colour cast, its landmarks moved alike: the same face at another place
    and scale, photographed under other light."""
    matrix = np.array([[zoom, 0.0, shift[0]], [0.0, zoom, shift[1]]])
    image = cv2.warpAffine(crop, matrix, crop.shape[1::-1], borderMode=cv2.BORDER_REFLECT_101)
    cast = np.clip(image.astype(int) + np.array([25, -15, 10]), 0, 255).astype(np.uint8)
    return Donor(cast, points * zoom + np.array(shift))


def test_a_donor_is_aligned_onto_the_face_and_pasted_inside_the_mask_only(face_and_points):
    crop, points = face_and_points
    for seed in range(6):
        own = self_blend(crop, points, np.random.default_rng(seed), "independent")
        moved = self_blend(crop, points, np.random.default_rng(seed), "independent", donor=_moved(crop, points))
        other = self_blend(crop, points, np.random.default_rng(seed), "independent",
                           donor=Donor(np.ascontiguousarray(crop[::-1, ::-1]), points))
        assert np.array_equal(moved.mask, own.mask)  # a donor changes what is pasted, not where
        assert np.array_equal(other.image[other.mask == 0], crop[other.mask == 0])
        inside = own.mask > 0.5 * own.mask.max()
        # the face itself, moved and recoloured, brought back by its landmarks and colour-matched, pastes
        # almost what a self-blend pastes
        assert np.abs(moved.image[inside].astype(int) - own.image[inside]).mean() < 5
        # another picture (the crop turned upside down) pastes something else
        assert np.abs(other.image[inside].astype(int) - own.image[inside]).mean() > 15


def test_the_closest_donor_is_the_one_in_the_same_pose(face_and_points):
    crop, points = face_and_points
    open_mouth = points.copy()
    open_mouth[57:60] += (0.0, 25.0)  # the lower lip dropped: another expression
    turned = points.copy()
    turned[:, 0] = points[:, 0].mean() + (points[:, 0] - points[:, 0].mean()) * 0.6  # a face turned aside
    candidates = [Donor(crop, open_mouth), Donor(crop, turned), _moved(crop, points)]
    assert closest_donor(points, candidates) is candidates[2]  # moved and zoomed, but the same pose
