from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from facetrust.data.augment import Augment
from facetrust.errors import FacetrustError


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


def _only(**options: float) -> Augment:
    return Augment(**{**Augment.none().to_dict(), **options})


def test_noise_adds_pixel_noise_of_the_drawn_strength():
    flat = np.full((64, 64, 3), 128, np.uint8)
    noisy = _only(noise=1.0, noise_sigma=(4.0, 4.0))(flat, np.random.default_rng(0))
    assert 3.5 < float(np.std(noisy.astype(float) - 128)) < 4.5


def test_sharpen_raises_edge_contrast_and_blur_lowers_it():
    edge = np.zeros((64, 64, 3), np.uint8)
    edge[:, 32:] = 200
    edge = cv2.GaussianBlur(edge, (0, 0), 1.5)
    step = lambda image: float(np.abs(np.diff(image[32, :, 0].astype(float))).max())  # noqa: E731
    assert step(_only(sharpen=1.0)(edge, np.random.default_rng(0))) > step(edge)
    assert step(_only(blur=1.0)(edge, np.random.default_rng(0))) < step(edge)



def test_a_small_grey_photo_has_equal_channels_and_no_detail_finer_than_its_size():
    rng = np.random.default_rng(0)
    colour = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    small = _only(lowres_grey=1.0, lowres_size=(48, 48))(colour, rng)
    assert small.shape == colour.shape
    assert np.array_equal(small[..., 0], small[..., 1]) and np.array_equal(small[..., 1], small[..., 2])
    detail = lambda image: float(np.abs(np.diff(image[..., 0].astype(float), axis=1)).mean())  # noqa: E731
    assert detail(small) < 0.2 * detail(colour)


def test_blur_and_rescale_draw_their_strength_from_the_recipe_range(crop):
    detail = lambda image: float(cv2.Laplacian(image, cv2.CV_64F).var())  # noqa: E731
    rng = lambda: np.random.default_rng(0)  # noqa: E731
    assert detail(_only(blur=1.0, blur_sigma=(2.9, 3.0))(crop, rng())) < 0.2 * detail(
        _only(blur=1.0, blur_sigma=(0.5, 0.6))(crop, rng()))
    assert detail(_only(rescale=1.0, rescale_range=(0.25, 0.26))(crop, rng())) < 0.5 * detail(
        _only(rescale=1.0, rescale_range=(0.75, 0.76))(crop, rng()))
    defaults = _only(blur=1.0, rescale=1.0)  # the ranges every recipe before candidate P trained with
    assert np.array_equal(defaults(crop, rng()), _only(blur=1.0, rescale=1.0, blur_sigma=(0.3, 1.2),
                                                        rescale_range=(0.4, 0.8))(crop, rng()))


def test_a_video_coded_crop_replaces_the_jpeg_step_and_loses_detail_with_the_rate_factor():
    rng = lambda: np.random.default_rng(0)  # noqa: E731
    photo = cv2.GaussianBlur(np.random.default_rng(3).integers(0, 256, (128, 128, 3), dtype=np.uint8), (0, 0), 1.0)
    detail = lambda image: float(cv2.Laplacian(image, cv2.CV_64F).var())  # noqa: E731
    heavy = _only(codec=1.0, codec_crf=(45, 45), codec_scale=(1.0, 1.0))
    light = _only(codec=1.0, codec_crf=(12, 12), codec_scale=(1.0, 1.0))
    assert np.array_equal(heavy(photo, rng()), heavy(photo, rng()))  # one x264 thread: a seed gives the same pixels
    assert detail(heavy(photo, rng())) < 0.5 * detail(light(photo, rng())) < detail(photo)
    with_jpeg = _only(codec=1.0, codec_crf=(45, 45), codec_scale=(1.0, 1.0), jpeg=1.0, jpeg_quality=(10, 10))
    assert np.array_equal(with_jpeg(photo, rng()), heavy(photo, rng()))  # coded frames are not JPEG-compressed too
    smaller = _only(codec=1.0, codec_crf=(12, 12), codec_scale=(0.5, 0.5))(photo, rng())
    assert smaller.shape == photo.shape and detail(smaller) < detail(light(photo, rng()))


def test_a_recipe_asking_for_video_coding_without_an_h264_encoder_is_refused_by_name(monkeypatch):
    import facetrust.data.augment as augment

    monkeypatch.setattr(augment, "av", SimpleNamespace(codecs_available=frozenset({"mpeg4"})))
    with pytest.raises(FacetrustError, match=r"codec needs an H\.264 encoder"):
        Augment(codec=0.25)
    Augment()  # no video coding asked: nothing to check
