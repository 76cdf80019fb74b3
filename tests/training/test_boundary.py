"""Face X-ray's boundary loss (training.boundary): the seam target, the seam moved with its crop, a head that trains
the features it reads and is never shipped, and a run that keeps and resumes it."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from facetrust.data.augment import Augment
from facetrust.errors import FacetrustError
from facetrust.models import create_model
from facetrust.training import train
from facetrust.training.boundary import BoundaryHead, boundary_loss, seam
from facetrust.training.checkpointing import fresh_run, resume_run, save_last
from tests.training.test_multi_source import _config

PLACEMENT_ONLY = Augment(flip=1.0, geometry=1.0, border=1.0, color=0.0, jpeg=0.0, blur=0.0, rescale=0.0)


def test_the_seam_is_one_where_two_images_mix_evenly_and_zero_where_one_is_whole():
    mask = np.array([[0.0, 0.5, 1.0, 0.25]], np.float32)
    np.testing.assert_allclose(seam(mask), [[0.0, 1.0, 0.0, 0.75]])


def test_a_seam_map_is_moved_exactly_as_its_crop_was():
    ramp = np.add.outer(np.arange(64), 2 * np.arange(64)).astype(np.uint8)
    crop = np.repeat(ramp[:, :, None], 3, axis=2)
    moved = PLACEMENT_ONLY(crop, np.random.default_rng(5))[:, :, 0].astype(np.float32)
    placed = PLACEMENT_ONLY.placed(ramp.astype(np.float32), np.random.default_rng(5))
    assert np.abs(placed - moved).max() <= 1.0  # the crop's warp rounds to whole levels
    elsewhere = PLACEMENT_ONLY.placed(ramp.astype(np.float32), np.random.default_rng(6))
    assert np.abs(elsewhere - moved).max() > 10


def _tiny_model() -> torch.nn.Module:
    return create_model("cnn", pretrained=False, channels=3, size=32, depth=2, width=4)


def test_the_seam_loss_trains_the_features_the_head_reads_and_skips_unknown_seams():
    model = _tiny_model()
    head = BoundaryHead(model).attach()
    model(torch.rand(2, 3, 32, 32))
    predicted = head()
    assert predicted.shape == (2, 8, 8)  # the last feature map's grid: two poolings of 32 px
    assert boundary_loss(predicted, [None, None]).item() == 0.0
    seam_map = seam(np.full((32, 32), 0.5, np.float32))
    boundary_loss(predicted, [None, seam_map]).backward()
    first_layer = next(model.backbone.parameters())
    assert first_layer.grad is not None and first_layer.grad.abs().sum() > 0
    head.remove()
    model(torch.rand(1, 3, 32, 32))
    with pytest.raises(RuntimeError, match="run the model first"):
        head()


def test_a_copy_of_the_model_made_before_the_head_attaches_carries_no_hook():
    model = _tiny_model()
    head = BoundaryHead(model)
    averaged = copy.deepcopy(model)  # as the trainer's EMA copy is made, between the head's creation and attach
    head.attach()

    def hooks(network: torch.nn.Module) -> int:
        return sum(len(module._forward_pre_hooks) for module in network.modules())

    assert (hooks(model), hooks(averaged)) == (1, 0)
    assert [name for name, _ in head.named_parameters()] == ["conv.weight", "conv.bias"]  # not the model's
    head.remove()
    assert hooks(model) == 0


def test_a_saved_run_restores_the_head_trained_beside_the_model(tmp_path):
    model = _tiny_model()
    head = BoundaryHead(model)
    optimiser = torch.optim.AdamW([*model.parameters(), *head.parameters()])
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda _: 1.0)
    save_last(tmp_path, model, optimiser, schedule, fresh_run(), None, head)
    restored = BoundaryHead(_tiny_model())
    assert not torch.equal(restored.conv.weight, head.conv.weight)
    resume_run(tmp_path, _tiny_model(), optimiser, schedule, None, restored)
    assert torch.equal(restored.conv.weight, head.conv.weight)


def test_a_run_with_a_boundary_loss_ships_the_architecture_alone(shared_data, tmp_path):
    config = _config(shared_data, tmp_path / "run", epochs=1, boundary_weight=10.0)
    folder = train(config, progress=False)
    shipped = set(load_file(folder / "model.safetensors"))
    plain = create_model("cnn", pretrained=False, channels=3, size=64, depth=2, width=8)
    assert shipped == set(plain.state_dict())
    saved = torch.load(tmp_path / "run/last.pt", weights_only=True)
    assert set(saved["beside"]) == {"conv.weight", "conv.bias"}
    assert saved["beside"]["conv.weight"].shape == (1, 16, 1, 1)


def test_a_boundary_loss_without_self_blends_is_refused(shared_data, tmp_path):
    with pytest.raises(FacetrustError, match="boundary_weight needs self_blend"):
        train(_config(shared_data, tmp_path / "run", self_blend=0.0, boundary_weight=1.0), progress=False)
