"""The source adversary (training.source_adversary): the gradient reversed into the model and not into the head, its
classes per class of crop, a run that keeps it beside the model and ships the architecture alone, and refusals."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from facetrust.errors import FacetrustError
from facetrust.models import create_model
from facetrust.training import train
from facetrust.training.source_adversary import SourceAdversary, ramp, reverse_gradient
from tests.training.test_multi_source import _config


def _tiny_model() -> torch.nn.Module:
    return create_model("cnn", pretrained=False, channels=3, size=32, depth=2, width=4)


def test_the_reversal_passes_values_through_and_turns_the_gradient_back_scaled():
    features = torch.tensor([1.0, -2.0], requires_grad=True)
    reversed_ = reverse_gradient(features, 0.5)
    assert torch.equal(reversed_, features)
    (3.0 * reversed_).sum().backward()
    assert features.grad.tolist() == [-1.5, -1.5]


def test_the_ramp_starts_at_zero_and_nears_one_at_the_end_of_training():
    assert ramp(0.0) == 0.0
    assert 0.45 < ramp(0.1) < 0.5 < ramp(0.2)
    assert ramp(1.0) > 0.999


def test_a_step_makes_the_head_better_at_telling_sources_apart_and_the_model_worse():
    torch.manual_seed(0)
    model = _tiny_model()
    adversary = SourceAdversary(model, ["utkface", "dfdc_crops"], ["sdfd", "sbi"]).attach()
    crops = torch.rand(8, 3, 32, 32)
    crops[::2] *= 0.3  # the first source of each class darker: something to tell them apart by
    sources = ["utkface", "dfdc_crops", "sdfd", "sbi"] * 2
    labels = torch.tensor([0, 0, 1, 1] * 2)

    def loss() -> torch.Tensor:
        model(crops)
        return adversary.loss(sources, labels, strength=1.0)

    def step(parameters) -> float:
        before = loss()
        model.zero_grad(), adversary.zero_grad()
        before.backward()
        with torch.no_grad():
            for parameter in parameters:
                if parameter.grad is not None:  # the model's classifier is not on the adversary's path
                    parameter -= 0.05 * parameter.grad
        return loss().item() - before.item()

    assert step(list(adversary.parameters())) < 0  # the head descends its loss
    assert step(list(model.parameters())) > 0  # the model, given the reversed gradient, climbs it


def test_each_crop_is_scored_among_its_own_class_sources_only():
    model = _tiny_model()
    adversary = SourceAdversary(model, ["utkface", "dfdc_crops"], ["sdfd", "sbi", "gan512"]).attach()
    assert (adversary.real.out_features, adversary.fake.out_features) == (2, 3)
    model(torch.rand(2, 3, 32, 32))
    adversary.loss(["utkface", "sdfd"], torch.tensor([0, 1]), 1.0)  # each name found in its class's list
    with pytest.raises(ValueError):
        adversary.loss(["sdfd", "utkface"], torch.tensor([0, 1]), 1.0)  # a fake source among the reals
    with pytest.raises(ValueError, match="two sources"):
        SourceAdversary(model, ["utkface"], ["sdfd"])


def test_a_run_with_a_source_adversary_ships_the_architecture_alone(shared_data, tmp_path):
    folder = train(_config(shared_data, tmp_path / "run", epochs=1, source_adversary_weight=1.0), progress=False)
    plain = create_model("cnn", pretrained=False, channels=3, size=64, depth=2, width=8)
    assert set(load_file(folder / "model.safetensors")) == set(plain.state_dict())
    beside = torch.load(tmp_path / "run/last.pt", weights_only=True)["beside"]
    assert beside["real.weight"].shape[0] == 2  # inswapper's and stylegan3's real faces
    assert beside["fake.weight"].shape[0] == 4  # their fakes, sdfd's and the self-blends


def test_a_source_adversary_beside_a_boundary_head_is_refused_before_any_face_is_found(shared_data, tmp_path):
    config = _config(shared_data, tmp_path / "run", source_adversary_weight=1.0, boundary_weight=1.0,
                     data=str(tmp_path / "no such data"))  # found faces first, the missing data would fail instead
    with pytest.raises(FacetrustError, match="choose one"):
        train(config, progress=False)


def test_a_source_adversary_on_one_data_set_is_refused(shared_data, tmp_path):
    config = _config(shared_data, tmp_path / "run", source_adversary_weight=1.0, sources={}, self_blend=0.0,
                     data=str(shared_data / "faces/inswapper"))
    with pytest.raises(FacetrustError, match="several sources"):
        train(config, progress=False)
