"""Weight interpolation between a starting model and one fine-tuned from it (WiSE-FT), and weight soups."""

import pytest
import torch

from facetrust.models.weights_io import average, interpolate


def state(scale: float) -> dict[str, torch.Tensor]:
    return {"conv.weight": torch.full((2, 3), scale), "bn.running_mean": torch.full((2,), 2 * scale),
            "bn.num_batches_tracked": torch.tensor(int(10 * scale))}


def test_interpolation_runs_from_the_start_to_the_fine_tuned_weights():
    base, tuned = state(1.0), state(3.0)
    assert all(torch.equal(interpolate(base, tuned, 0.0)[k], base[k]) for k in ("conv.weight", "bn.running_mean"))
    assert all(torch.equal(interpolate(base, tuned, 1.0)[k], tuned[k]) for k in tuned)
    middle = interpolate(base, tuned, 0.25)
    assert torch.allclose(middle["conv.weight"], torch.full((2, 3), 1.5))
    assert torch.allclose(middle["bn.running_mean"], torch.full((2,), 3.0))
    assert middle["bn.num_batches_tracked"].item() == 30  # a counter is not averaged


def test_interpolation_refuses_different_architectures_and_weights_outside_0_to_1():
    with pytest.raises(ValueError, match="not the same architecture"):
        interpolate(state(1.0), {**state(2.0), "head.weight": torch.zeros(1)}, 0.5)
    with pytest.raises(ValueError, match="not the same architecture"):
        interpolate(state(1.0), {**state(2.0), "conv.weight": torch.zeros(3, 2)}, 0.5)
    with pytest.raises(ValueError, match="use a number in 0-1"):
        interpolate(state(1.0), state(2.0), 1.5)


def test_a_soup_is_the_mean_of_its_ingredients_and_keeps_the_first_counter():
    soup = average([state(1.0), state(2.0), state(6.0)])
    assert torch.allclose(soup["conv.weight"], torch.full((2, 3), 3.0))
    assert torch.allclose(soup["bn.running_mean"], torch.full((2,), 6.0))
    assert soup["bn.num_batches_tracked"].item() == 10
    alone = state(1.5)
    assert all(torch.equal(average([alone])[k], alone[k]) for k in alone)


def test_a_soup_refuses_different_architectures_and_an_empty_list():
    with pytest.raises(ValueError, match="not the same architecture"):
        average([state(1.0), state(2.0), {**state(3.0), "conv.weight": torch.zeros(3, 2)}])
    with pytest.raises(ValueError, match="no models"):
        average([])
