"""The one-class head and loss (models.heads.OneClassLogit, training.one_class): the logit is the cosine to the real
direction, rescaled; the loss is the one-class softmax's; a recipe's `head: one_class` trains, ships and reloads."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch.nn import functional

from facetrust.models import create_model
from facetrust.models.checkpoint import load_model
from facetrust.models.heads import OneClassLogit
from facetrust.training import train
from facetrust.training.one_class import OneClassLoss
from tests.training.test_multi_source import _config


def test_the_logit_falls_with_the_cosine_to_the_real_direction():
    head = OneClassLogit(3)
    with torch.no_grad():
        head.direction.copy_(torch.tensor([[2.0, 0.0, 0.0]]))
    features = torch.tensor([[5.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [3.0, 4.0, 0.0]])
    # 20 x (0.55 - cosine): the midpoint of the margins 0.9 and 0.2 is the verdict's zero
    expected = torch.tensor([[20 * (0.55 - 1.0)], [20 * 0.55], [20 * 1.55], [20 * (0.55 - 0.6)]])
    assert torch.allclose(head(features), expected)


def test_the_loss_is_the_one_class_softmax():
    cosines = torch.tensor([0.95, 0.5, 0.1, 0.5])
    labels = torch.tensor([0.0, 0.0, 1.0, 1.0])
    logits = 20 * (0.55 - cosines)
    expected = torch.stack([functional.softplus(20 * (0.9 - cosines[0])), functional.softplus(20 * (0.9 - cosines[1])),
                            functional.softplus(20 * (cosines[2] - 0.2)), functional.softplus(20 * (cosines[3] - 0.2))])
    assert OneClassLoss()(logits, labels).item() == pytest.approx(expected.mean().item(), rel=1e-5)
    # a real inside its cone costs little, one halfway costs much: plain cross-entropy would call both right
    assert expected[0] < 1 < expected[1]


def test_a_one_class_head_gives_one_logit_only():
    with pytest.raises(ValueError, match="one logit"):
        create_model("cnn", num_classes=2, pretrained=False, depth=1, width=4, head="one_class")
    with pytest.raises(ValueError, match="head must be"):
        create_model("cnn", pretrained=False, depth=1, width=4, head="cosine")


def test_a_recipe_one_class_head_trains_ships_and_reloads(shared_data, tmp_path):
    options = {"depth": 2, "width": 8, "head": "one_class"}
    config = _config(shared_data, tmp_path / "run", epochs=1, model_options=options)
    folder = train(config, progress=False)
    card = json.loads((folder / "model.json").read_text())
    assert card["architecture_options"]["head"] == "one_class"
    loaded = load_model(folder, backend="torch")
    assert isinstance(loaded.module.head[-1], OneClassLogit)
    crops = np.random.default_rng(0).integers(0, 256, size=(2, 64, 64, 3), dtype=np.uint8)
    logits = loaded.logits(list(crops))
    assert np.all(np.abs(logits) <= 20 * 1.55 + 1e-4)  # a cosine logit is bounded; a linear one is not
