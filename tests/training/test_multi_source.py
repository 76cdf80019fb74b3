"""Multi-source training end to end on real shared data with a tiny model: balanced sources, self-blends,
per-source selection and an FPR-bounded threshold, and a left-out family that never reaches training."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from facetrust.data.datasets import Sample
from facetrust.data.face_crops import CropSet
from facetrust.errors import FacetrustError
from facetrust.training import TrainConfig, train
from facetrust.training.trainer import blend_donor, validation_crops

SOURCES = {"inswapper": "swap", "stylegan3": "gan", "sdfd": "diffusion"}


def _config(shared_data, out, **changes) -> TrainConfig:
    settings = dict(data=str(shared_data / "faces"), out=str(out), model="cnn", epochs=2, batch_size=8, lr=3e-3,
                    max_per_split=40, model_options={"depth": 2, "width": 8}, img_size=64, face_mode="detect",
                    sources=SOURCES, per_source=10, self_blend=0.5, max_fpr=0.1)
    return TrainConfig(**(settings | changes))


def test_a_multi_source_run_selects_by_source_and_records_each(shared_data, tmp_path):
    folder = train(_config(shared_data, tmp_path / "run"), progress=False)
    card = json.loads((folder / "model.json").read_text())
    val_sources = card["metrics_by_source"]["val"]
    assert "sbi" in val_sources and val_sources["sbi"]["n_fake"] == val_sources["sbi"]["n"] > 0
    assert "false-positive rate <= 0.1" in card["threshold_rule"]
    with open(tmp_path / "run/history.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 and {"val_auc_inswapper", "val_auc_sbi", "val_mean_source_auc"} <= set(rows[0])
    best = max(rows, key=lambda r: float(r["val_mean_source_auc"]))
    assert card["training"]["best_epoch"] == int(best["epoch"])


def test_a_left_out_family_is_neither_trained_nor_selected_on(shared_data, tmp_path):
    folder = train(_config(shared_data, tmp_path / "run", leave_out="swap", self_blend=0.0, epochs=1),
                   progress=False)
    card = json.loads((folder / "model.json").read_text())
    assert set(card["metrics_by_source"]["train"]) == {"stylegan3", "sdfd"}
    assert "inswapper" not in card["metrics_by_source"]["val"]


def test_a_real_only_run_learns_from_self_blends_alone(shared_data, tmp_path):
    folder = train(_config(shared_data, tmp_path / "run", real_only=True, self_blend=1.0, epochs=1), progress=False)
    by_source = json.loads((folder / "model.json").read_text())["metrics_by_source"]
    assert all(metrics["n_fake"] == 0 for name, metrics in by_source["train"].items())
    assert {name for name, metrics in by_source["val"].items() if metrics["n_fake"]} == {"sbi"}


def test_real_only_without_self_blends_is_refused(shared_data, tmp_path):
    with pytest.raises(FacetrustError, match="real_only needs self_blend"):
        train(_config(shared_data, tmp_path / "run", real_only=True, self_blend=0.0), progress=False)


def test_validation_blends_do_not_depend_on_the_recipes_training_masks(shared_data, tmp_path):
    face = validation_crops(_config(shared_data, tmp_path / "a"), progress=False)
    parts = validation_crops(_config(shared_data, tmp_path / "b", self_blend_masks="face_and_parts"), progress=False)
    blends = [i for i, s in enumerate(face.samples) if s.source == "sbi"]
    assert blends and [s.source for s in parts.samples] == [s.source for s in face.samples]
    assert all(np.array_equal(face.crops[i], parts.crops[i]) for i in blends)


def _crop_set() -> CropSet:
    """Six real crops of two sources, each crop filled with its own index, all with landmarks."""
    sources = ["a", "a", "a", "b", "b", "a"]
    rng = np.random.default_rng(0)
    crops = [np.full((8, 8, 3), i, np.uint8) for i in range(len(sources))]
    samples = [Sample(Path(f"{i}.png"), 0, source=source) for i, source in enumerate(sources)]
    return CropSet(crops, samples, shapes={i: rng.uniform(0, 8, (68, 2)) for i in range(len(sources))})


def test_a_blend_donor_is_another_real_face_of_the_same_source():
    data = _crop_set()
    donors = [blend_donor(data, 0, 1.0, np.random.default_rng(seed)) for seed in range(30)]
    assert {int(d.face[0, 0, 0]) for d in donors} <= {1, 2, 5}  # never itself, never source b's
    assert blend_donor(data, 3, 1.0, np.random.default_rng(0)).face[0, 0, 0] == 4  # b's only other face


def test_without_donors_a_blend_draws_nothing_and_is_its_own():
    data, rng = _crop_set(), np.random.default_rng(7)
    assert blend_donor(data, 0, 0.0, rng) is None
    assert rng.random() == np.random.default_rng(7).random()  # the recipe's other draws are as they were
    shares = [blend_donor(data, 0, 0.5, np.random.default_rng(seed)) is not None for seed in range(200)]
    assert 70 < sum(shares) < 130
