import numpy as np
import pytest
import torch
from torch import nn

from facetrust.models.inference import predict_logits, tta_views
from facetrust.models.preprocess import Preprocess


class LeftRightBrightness(nn.Module):
    """Logits = (mean of the left half, mean of the right half): tells mirrors and corner crops apart."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        half = images.shape[-1] // 2
        return torch.stack([images[..., :half].mean(dim=(1, 2, 3)), images[..., half:].mean(dim=(1, 2, 3))], 1)


def ramp(size: int = 40) -> np.ndarray:
    """Brightness rising left to right and top to bottom."""
    x = np.linspace(0, 255, size)
    return np.clip((x[None, :] + x[:, None]) / 2, 0, 255).astype(np.uint8)[..., None].repeat(3, axis=2)


PREPROCESS = Preprocess(size=40, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))


def test_ten_crop_views_are_five_crops_and_their_mirrors():
    batch = PREPROCESS.batch([ramp()])
    views = tta_views(batch, "ten_crop")
    assert len(views) == 10 and all(v.shape == batch.shape for v in views)
    for crop, mirror in zip(views[::2], views[1::2], strict=True):
        np.testing.assert_array_equal(mirror, crop[..., ::-1])
    centre, top_left, top_right, bottom_left, bottom_right = (float(v.mean()) for v in views[::2])
    assert top_left < top_right < bottom_right and top_left < bottom_left < bottom_right
    assert top_left < centre < bottom_right
    assert [v.shape for v in tta_views(batch, "flip")] == [batch.shape] * 2 and len(tta_views(batch, None)) == 1
    with pytest.raises(ValueError, match="unknown test-time augmentation 'zoom'"):
        tta_views(batch, "zoom")


def test_predict_logits_averages_over_the_views():
    module = LeftRightBrightness()
    crops = [ramp()]
    plain = predict_logits(module, PREPROCESS, crops)
    assert plain[0, 0] < plain[0, 1]  # the ramp is brighter on the right
    flipped = predict_logits(module, PREPROCESS, crops, tta="flip")
    assert flipped[0, 0] == pytest.approx(flipped[0, 1], abs=1e-5)  # mirrors average the halves out
    ten = predict_logits(module, PREPROCESS, crops, tta="ten_crop")
    batch = PREPROCESS.batch(crops)
    expected = torch.stack([module(torch.from_numpy(v)) for v in tta_views(batch, "ten_crop")]).mean(0).numpy()
    np.testing.assert_allclose(ten, expected, rtol=1e-5)
