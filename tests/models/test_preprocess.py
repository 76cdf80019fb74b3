import numpy as np
import pytest
import torch

from facetrust.models.inference import batch_of
from facetrust.models.preprocess import Preprocess


def reference(preprocess: Preprocess, crop: np.ndarray) -> np.ndarray:
    """The textbook formula, (pixels / 255 - mean) / std per channel, as (C, H, W)."""
    pixels = crop.astype(np.float64) / 255.0
    if preprocess.color == "gray":
        pixels = (pixels @ [0.299, 0.587, 0.114])[..., None]
        return ((pixels - np.mean(preprocess.mean)) / np.mean(preprocess.std)).transpose(2, 0, 1)
    return ((pixels - preprocess.mean) / preprocess.std).transpose(2, 0, 1)


@pytest.mark.parametrize("color", ["rgb", "gray"])
def test_batch_matches_the_per_channel_formula(color):
    rng = np.random.default_rng(0)
    preprocess = Preprocess(size=32, color=color)
    crops = [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8) for _ in range(3)]
    batch = preprocess.batch(crops)
    assert batch.dtype == np.float32 and batch.shape == (3, preprocess.channels, 32, 32)
    assert batch.flags.c_contiguous
    for row, crop in zip(batch, crops, strict=True):
        np.testing.assert_allclose(row, reference(preprocess, crop), atol=1e-5)
        np.testing.assert_array_equal(preprocess(crop).numpy(), preprocess.batch([crop])[0])


def test_crops_of_other_sizes_are_resized_and_an_empty_batch_has_the_model_shape():
    preprocess = Preprocess(size=16)
    small, large = np.full((8, 12, 3), 200, np.uint8), np.full((40, 40, 3), 10, np.uint8)
    batch = preprocess.batch([small, large])
    assert batch.shape == (2, 3, 16, 16)
    np.testing.assert_allclose(batch[:, 0, 0, 0], [(200 / 255 - 0.485) / 0.229, (10 / 255 - 0.485) / 0.229], atol=1e-5)
    assert preprocess.batch([]).shape == (0, 3, 16, 16)


def test_pytorch_batches_are_the_arrays_in_channels_last_layout():
    """PyTorch modules get the NumPy batch (what onnxruntime is fed) as channels-last tensors, value for value."""
    crops = [np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)] * 2
    preprocess = Preprocess(size=16)
    eager = batch_of(preprocess, crops)
    assert eager.is_contiguous(memory_format=torch.channels_last) and not eager.is_contiguous()
    assert np.array_equal(eager.numpy(), preprocess.batch(crops))
