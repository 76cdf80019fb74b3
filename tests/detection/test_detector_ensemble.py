"""Two trained detectors joined into one (scripts/pair_detectors.py): the mean of their calibrated logits."""

import hashlib
import json
import runpy
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import yaml

from facetrust.errors import FacetrustError
from facetrust.models.checkpoint import load_model
from facetrust.models.inference import batch_of
from facetrust.training import TrainConfig, train
from tests.conftest import copy_k140_test_faces

REPO = Path(__file__).resolve().parents[2]
RECIPE = {"model": "cnn", "epochs": 1, "batch_size": 8, "lr": 3e-3, "max_per_split": 12}


@pytest.fixture(scope="module")
def pair(tmp_path_factory, shared_data) -> tuple[list[Path], Path]:
    out = tmp_path_factory.mktemp("pair")
    data = str(shared_data / "faces/k140")
    members = [train(TrainConfig(data=data, out=str(out / f"m{width}"), **RECIPE, seed=width,
                                 model_options={"depth": 2, "width": width}), progress=False)
               for width in (4, 8)]
    recipe = out / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({"data": data, **RECIPE}))
    run_pair_script(recipe, members, out / "pair")
    return members, out / "pair/model"


def run_pair_script(recipe: Path, members: list[Path], out: Path) -> None:
    old = sys.argv
    sys.argv = ["pair_detectors.py", "--config", str(recipe), "--out", str(out),
                *[arg for member in members for arg in ("--model", str(member))]]
    try:
        runpy.run_path(str(REPO / "scripts/pair_detectors.py"), run_name="__main__")
    finally:
        sys.argv = old


def test_the_pair_scores_the_mean_of_its_members_calibrated_logits(pair, shared_data, tmp_path):
    members, folder = pair
    card = json.loads((folder / "model.json").read_text())
    assert card["architecture"] == "ensemble" and card["task"] == "detector" and card["classes"] == ["real", "fake"]
    assert [m["options"]["width"] for m in card["architecture_options"]["members"]] == [4, 8]
    assert [m["sha256"] for m in card["training"]["ensemble"]["members"]] == [
        hashlib.sha256((m / "model.safetensors").read_bytes()).hexdigest() for m in members]
    assert {"val", "test"} <= set(card["metrics"]) and card["temperature"] > 0 and 0 <= card["threshold"] <= 1
    faces = sorted(copy_k140_test_faces(shared_data, tmp_path, 3).rglob("*.*"))
    crops = [cv2.resize(cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB), (128, 128)) for p in faces]
    expected = []
    for member in members:
        loaded = load_model(member, backend="torch")
        with torch.no_grad():
            expected.append(loaded.module(batch_of(loaded.preprocess, crops)) / loaded.card.temperature)
    assert not torch.allclose(expected[0], expected[1], atol=1e-3)  # two different members, not one twice
    whole = load_model(folder, backend="torch")
    with torch.no_grad():
        got = whole.module(batch_of(whole.preprocess, crops))
    assert torch.allclose(got, torch.stack(expected).mean(0), atol=1e-4)
    fast = load_model(folder, backend="onnxruntime")
    assert np.abs(fast.logits(crops) - whole.logits(crops)).max() < 1e-3


def test_the_pair_refuses_a_member_that_crops_faces_differently(pair, shared_data, tmp_path):
    members, _ = pair
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({"data": str(shared_data / "faces/k140"), **RECIPE, "margin": 0.5}))
    with pytest.raises(FacetrustError, match="crops faces differently"):
        run_pair_script(recipe, members, tmp_path / "p")


def test_the_pairs_heatmap_reads_both_members(pair, shared_data, tmp_path):
    from facetrust.explain.heatmaps import face_heatmaps, target_layers

    _, folder = pair
    model = load_model(folder, backend="torch")
    assert len(target_layers(model.module)) == 2
    crop = cv2.cvtColor(cv2.imread(str(next((shared_data / "faces/k140/test/fake").iterdir()))), cv2.COLOR_BGR2RGB)
    (heatmap,) = face_heatmaps(model, [crop])
    assert heatmap.shape == crop.shape[:2] and heatmap.min() >= 0 and heatmap.max() <= 1 and heatmap.std() > 0


def test_the_pairs_features_are_its_members_side_by_side_and_give_its_logit(pair, shared_data):
    members, folder = pair
    crops = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
             for p in sorted((shared_data / "faces/k140/test/real").iterdir())[:3]]
    slow, fast = load_model(folder, backend="torch"), load_model(folder, backend="onnxruntime")
    features, logits = fast.features(crops)  # one onnxruntime pass gives both, as video tracks read them
    widths = [load_model(m, backend="torch").module.num_features for m in members]
    assert features.shape == (3, sum(widths)) == (3, slow.module.num_features)
    assert np.abs(logits - slow.logits(crops)).max() < 1e-3
    alone = load_model(members[0], backend="torch")
    assert np.abs(features[:, :widths[0]] - alone.features(crops)[0]).max() < 1e-3


def test_a_detector_ensemble_refuses_expression_models(pair):
    from facetrust.models.ensemble import check_members, member_spec

    specs = [member_spec(m) for m in pair[0]]
    check_members(specs, task="detector")
    with pytest.raises(FacetrustError, match="needs expression models"):
        check_members(specs, task="emotion")
