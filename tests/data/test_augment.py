import numpy as np
import pytest

from facetrust.data.augment import Augment


@pytest.fixture
def crop() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)


def test_no_augmentation_returns_the_crop_unchanged(crop):
    assert np.array_equal(Augment.none()(crop, np.random.default_rng(1)), crop)


def test_warp_happens_with_the_geometry_probability_only(crop):
    # Unwarped crops keep their exact pixels, so the scanner's unresampled inputs are seen in training.
    only_geometry = Augment(flip=0, geometry=0.3, color=0, jpeg=0, blur=0, rescale=0)
    unchanged = [np.array_equal(only_geometry(crop, np.random.default_rng(seed)), crop) for seed in range(400)]
    assert 0.6 < np.mean(unchanged) < 0.8
    always = Augment(flip=0, geometry=1.0, color=0, jpeg=0, blur=0, rescale=0)
    assert not np.array_equal(always(crop, np.random.default_rng(0)), crop)


def test_same_seed_same_augmentation(crop):
    augment = Augment()
    assert np.array_equal(augment(crop, np.random.default_rng(7)), augment(crop, np.random.default_rng(7)))
