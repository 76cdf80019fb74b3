"""k-fold cross-validation of two tiny recipes on real k140 faces: folds, no test split, ranking, resume."""

import csv
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from facetrust.cli import app
from facetrust.data.datasets import discover
from facetrust.studies import runs as runs_module

runner = CliRunner()


def no_training(*_, **__):
    raise AssertionError("a finished fold must be reused, not trained again")


def recipe(folder: Path, name: str, model: str, data: Path) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"data": str(data), "out": "unused", "model": model, "epochs": 1,
                                    "batch_size": 8, "seed": 0}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def study(tmp_path_factory, shared_data) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("crossval")
    data = shared_data / "faces/k140"
    args = ["crossval", "--config", str(recipe(folder, "dense", "ffnn", data)), "--config",
            str(recipe(folder, "small-cnn", "cnn", data)), "--folds", "2", "--max-per-split", "6",
            "--out", str(folder / "out")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return folder / "out", args


def read_manifest(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_folds_partition_train_and_val_and_leave_test_out(study, shared_data):
    out, _ = study
    folds = [read_manifest(out / "folds" / f"fold-{k}.csv") for k in range(2)]
    pooled = {s.path.resolve() for s in discover(shared_data / "faces/k140") if s.split in ("train", "val")}
    for rows in folds:
        assert {(out / "folds" / r["path"]).resolve() for r in rows} == pooled  # no test file, every pooled one
    validated = [{r["path"] for r in rows if r["split"] == "val"} for rows in folds]
    assert not validated[0] & validated[1]
    assert len(validated[0]) + len(validated[1]) == len(pooled)
    assert 0.35 < len(validated[0]) / len(pooled) < 0.65


def test_every_recipe_runs_on_every_fold_and_the_best_mean_wins(study):
    out, _ = study
    saved = json.loads((out / "crossval.json").read_text())
    assert [(r["recipe"], r["fold"], r["status"]) for r in saved["rows"]] == [
        ("dense", 0, "ok"), ("dense", 1, "ok"), ("small-cnn", 0, "ok"), ("small-cnn", 1, "ok")]
    assert all(r["evaluated_on"] == "val" for r in saved["rows"])  # the test split was never measured
    for ranked in saved["recipes"]:
        folds = [r["val_roc_auc"] for r in saved["rows"] if r["recipe"] == ranked["recipe"]]
        assert ranked["mean_val_roc_auc"] == pytest.approx(sum(folds) / 2)
    assert saved["best"] == max(saved["recipes"], key=lambda r: r["mean_val_roc_auc"])["recipe"]
    card = json.loads((out / "runs/dense/fold-1/model/model.json").read_text())
    assert "test" not in card["metrics"]
    assert (out / "crossval.png").stat().st_size > 5000
    assert "| dense |" in (out / "crossval.md").read_text()


def test_crossval_again_reuses_finished_folds(study, monkeypatch):
    _, args = study
    monkeypatch.setattr(runs_module, "train", no_training)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "best by mean validation ROC-AUC over 2 folds" in result.output


def test_crossval_refuses_recipes_on_different_data(tmp_path, shared_data):
    args = ["crossval", "--config", str(recipe(tmp_path, "a", "ffnn", shared_data / "faces/k140")),
            "--config", str(recipe(tmp_path, "b", "ffnn", shared_data / "faces/yonsei")), "--out", str(tmp_path / "o")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "different data" in result.output
