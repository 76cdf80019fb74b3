"""Studies on real faces with tiny settings: compare (with an encoding model and a failing run) and tune."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from facetrust.cli import app
from facetrust.models.checkpoint import weight_files
from facetrust.studies import runs as runs_module
from facetrust.training import TrainConfig
from tests.conftest import copy_k140_test_faces

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "src/facetrust/detection/verdict.schema.json").read_text())
TINY = ["--epochs", "1", "--batch-size", "8", "--max-per-split", "8"]


def no_training(*_, **__):
    raise AssertionError("a finished run must be reused, not trained again")


@pytest.fixture(scope="module")
def comparison(tmp_path_factory, shared_data) -> Path:
    out = tmp_path_factory.mktemp("compare")
    result = runner.invoke(app, ["compare", "--data", str(shared_data / "faces/k140"), "--models",
                                 "ffnn,fusion_cnn_enc,encoding_mlp:frozen", "--color", "rgb,gray", "--out", str(out),
                                 *TINY])
    assert result.exit_code == 0, result.output
    assert "6 runs, 2 failed" in result.output
    return out


def test_compare_writes_one_row_per_model_and_ablation(comparison):
    saved = json.loads((comparison / "compare.json").read_text())
    rows = {row["run"]: row for row in saved["rows"]}
    assert list(rows) == ["ffnn-rgb-64", "ffnn-gray-64", "fusion_cnn_enc-rgb-128", "fusion_cnn_enc-gray-128",
                          "encoding_mlp-frozen-rgb-224", "encoding_mlp-frozen-gray-224"]
    assert saved["protocol"]["epochs"] == 1 and saved["protocol"]["seed"] == 0
    for name in ("ffnn-rgb-64", "fusion_cnn_enc-gray-128"):
        row = rows[name]
        assert row["status"] == "ok" and row["evaluated_on"] == "test"
        assert 0 <= row["accuracy"] <= 1 and row["parameters"] > 1000 and row["inference_ms"] > 0
        assert row["seconds_per_epoch"] > 0
    assert rows["fusion_cnn_enc-rgb-128"]["no_face_encodings"] >= 0 and "no_face_encodings" not in rows["ffnn-rgb-64"]
    assert rows["encoding_mlp-frozen-rgb-224"]["status"] == "failed"
    assert "no image backbone to freeze" in rows["encoding_mlp-frozen-rgb-224"]["error"]
    table = (comparison / "compare.md").read_text()
    assert table.count("\n") == 8 and "| ffnn-gray-64 | ok |" in table and "| failed |" in table
    assert (comparison / "compare.csv").read_text().count("\n") == 7
    assert (comparison / "compare.png").stat().st_size > 10_000


def test_encoding_models_card_evaluate_and_scan(comparison, shared_data, tmp_path):
    model = comparison / "runs/fusion_cnn_enc-rgb-128/model"
    card = json.loads((model / "model.json").read_text())
    assert card["inputs"] == ["image", "encoding"] and card["preprocess"]["color"] == "rgb"
    assert set(card["encodings"]["no_face"]) == {"train", "val", "test"}
    data = copy_k140_test_faces(shared_data, tmp_path / "eval", 3)
    result = runner.invoke(app, ["evaluate", "--data", str(data), "--model", str(model), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n_real"] == 3
    result = runner.invoke(app, ["scan", str(REPO / "examples"), "--model", str(model), "--json", "-"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 7 and all(len(r["faces"]) == 1 for r in records)
    for record in records:
        jsonschema.validate(record, SCHEMA)


def test_compare_again_reuses_finished_runs(comparison, shared_data, monkeypatch):
    weights = weight_files(comparison / "runs/ffnn-rgb-64/model")  # 25 MB of dense weights: in shards
    before = [path.stat().st_mtime_ns for path in weights]
    monkeypatch.setattr(runs_module, "train", no_training)
    result = runner.invoke(app, ["compare", "--data", str(shared_data / "faces/k140"), "--models", "ffnn",
                                 "--color", "rgb,gray", "--out", str(comparison), *TINY])
    assert result.exit_code == 0, result.output
    assert [path.stat().st_mtime_ns for path in weight_files(comparison / "runs/ffnn-rgb-64/model")] == before


def test_a_study_archived_without_weights_still_resumes(comparison, shared_data, tmp_path, monkeypatch):
    import shutil

    archive = tmp_path / "archive"
    shutil.copytree(comparison / "runs/ffnn-rgb-64", archive / "runs/ffnn-rgb-64",
                    ignore=shutil.ignore_patterns("*.safetensors", "last.pt"))
    monkeypatch.setattr(runs_module, "train", no_training)
    result = runner.invoke(app, ["compare", "--data", str(shared_data / "faces/k140"), "--models", "ffnn",
                                 "--out", str(archive), *TINY])
    assert result.exit_code == 0, result.output
    row = json.loads((archive / "compare.json").read_text())["rows"][0]
    original = json.loads((comparison / "runs/ffnn-rgb-64/summary.json").read_text())
    assert row["roc_auc"] == original["roc_auc"] and row["parameters"] == original["parameters"]


def test_tune_picks_the_best_cell_on_validation(tmp_path, shared_data):
    out = tmp_path / "tune"
    result = runner.invoke(app, ["tune", "--data", str(shared_data / "faces/k140"), "--model", "cnn", "--out",
                                 str(out), "--grid", "lr=1e-2,1e-3", "dropout=0.0,0.5", "--grid", "width=4,8",
                                 *TINY])
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "tune.json").read_text())
    rows = saved["rows"]
    assert [(r["grid"], r.get("lr"), r.get("dropout"), r.get("width")) for r in rows] == [
        (1, 0.01, 0.0, None), (1, 0.01, 0.5, None), (1, 0.001, 0.0, None), (1, 0.001, 0.5, None),
        (2, None, None, 4), (2, None, None, 8)]
    best = max(rows, key=lambda r: r["val_roc_auc"])
    assert saved["best"]["out"] == best["out"] and saved["chosen_by"] == "val_roc_auc"
    winner = TrainConfig(**yaml.safe_load((out / "best.yaml").read_text()))
    cell = {k: best[k] for k in ("lr", "dropout", "width") if best.get(k) is not None}
    assert {k: getattr(winner, k, winner.model_options.get(k)) for k in cell} == cell
    assert winner.out == str(out / "winner")
    assert (out / "tune-grid1.png").stat().st_size > 5000 and (out / "tune-grid2.png").stat().st_size > 5000
    assert "best on validation" in result.output


def test_tune_rejects_an_unknown_setting(tmp_path, shared_data):
    result = runner.invoke(app, ["tune", "--data", str(shared_data / "faces/k140"), "--model", "cnn", "--out",
                                 str(tmp_path / "t"), "--grid", "widht=4,8", *TINY])
    assert result.exit_code == 2
    assert "no option(s) ['widht']" in result.output
