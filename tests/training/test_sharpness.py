"""Sharpness-aware steps (training.sharpness): the gradient taken at the worst nearby weights and applied to the
current ones, a plain step when the radius is 0, and a recipe's radius reaching the trainer's steps."""

from __future__ import annotations

import pytest
import torch

from facetrust.training import train, trainer
from facetrust.training.sharpness import SharpnessAware
from tests.training.test_multi_source import _config


def _quartic(weights: torch.Tensor, calls: list[int]):
    """sum(w^4)/4, whose gradient is w^3: steep enough that where the gradient is taken shows in the step."""

    def loss_of() -> torch.Tensor:
        calls.append(1)
        return (weights**4).sum() / 4

    return loss_of


def test_a_radius_of_zero_takes_the_plain_step_from_one_pass():
    weights = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    calls: list[int] = []
    loss = SharpnessAware(torch.optim.SGD([weights], lr=0.1)).step(_quartic(weights, calls))
    assert len(calls) == 1 and loss.item() == pytest.approx(17 / 4)
    assert torch.allclose(weights.detach(), torch.tensor([1.0 - 0.1 * 1.0, 2.0 - 0.1 * 8.0]))


def test_sam_applies_the_gradient_of_the_worst_nearby_weights_to_the_current_ones():
    start = torch.tensor([1.0, 2.0])
    weights = torch.nn.Parameter(start.clone())
    calls: list[int] = []
    loss = SharpnessAware(torch.optim.SGD([weights], lr=0.1), rho=0.5).step(_quartic(weights, calls))
    gradient = start**3
    worst = start + 0.5 * gradient / gradient.norm()  # the ascent step, rho along the normalised gradient
    assert len(calls) == 2
    assert loss.item() == pytest.approx(17 / 4)  # the loss reported is the current weights', not the worst's
    assert torch.allclose(weights.detach(), start - 0.1 * worst**3)


def test_a_negative_radius_is_refused():
    with pytest.raises(ValueError, match="rho must be 0"):
        SharpnessAware(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1), rho=-0.1)


def test_a_recipe_radius_makes_every_training_step_sharpness_aware(shared_data, tmp_path, monkeypatch):
    passes: list[float] = []

    class Counted(SharpnessAware):
        def step(self, loss_of):
            return super().step(lambda: passes.append(self.rho) or loss_of())

    monkeypatch.setattr(trainer, "SharpnessAware", Counted)
    train(_config(shared_data, tmp_path / "run", epochs=1, sam_rho=0.05), progress=False)
    assert passes and set(passes) == {0.05} and len(passes) % 2 == 0  # two passes a step, every step
