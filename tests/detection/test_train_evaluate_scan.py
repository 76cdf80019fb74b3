"""End to end on real images with a tiny model: train, resume, evaluate, scan (the CI path)."""

import inspect
import json
from pathlib import Path

import jsonschema
import pytest
import torch
from typer.testing import CliRunner

from facetrust.cli import app
from facetrust.errors import FacetrustError
from facetrust.training import TrainConfig, train
from facetrust.training import trainer as trainer_module
from tests.conftest import copy_k140_test_faces

runner = CliRunner()
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "src/facetrust/detection/verdict.schema.json").read_text())
REPO = Path(__file__).resolve().parents[2]


def tiny_config(shared_data: Path, out: Path) -> TrainConfig:
    return TrainConfig(data=str(shared_data / "faces/k140"), out=str(out), model="cnn", epochs=2, batch_size=8,
                       lr=3e-3, max_per_split=12, model_options={"depth": 2, "width": 8})


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, shared_data) -> Path:
    out = tmp_path_factory.mktemp("run")
    result = runner.invoke(app, ["train", "--data", str(shared_data / "faces/k140"), "--out", str(out),
                                 "--model", "cnn", "--epochs", "2", "--batch-size", "8", "--max-per-split", "12"])
    assert result.exit_code == 0, result.output
    return out / "model"


def test_training_writes_a_complete_model_card(tiny_model):
    card = json.loads((tiny_model / "model.json").read_text())
    assert card["architecture"] == "cnn" and card["classes"] == ["real", "fake"]
    assert card["training"]["splits"]["train"] == {"real": card["training"]["splits"]["train"]["real"],
                                                   "fake": 12 - card["training"]["splits"]["train"]["real"]}
    assert {"val", "test"} <= set(card["metrics"]) and 0 <= card["threshold"] <= 1 and card["temperature"] > 0
    assert card["threshold_rule"] == "best balanced accuracy on validation"
    assert card["tta_rule"] == "flip only if it raises validation ROC-AUC" and card["tta"] in ("flip", None)
    assert card["faces"]["size"] == card["preprocess"]["size"] == 128
    assert (tiny_model.parent / "curves.png").stat().st_size > 1000
    assert len((tiny_model.parent / "history.csv").read_text().splitlines()) == 3


def test_a_model_made_without_training_is_calibrated_and_carded_from_validation_and_test_alone(shared_data, tmp_path):
    from facetrust.models import create_model
    from facetrust.training.trainer import finish_model, split_crops

    config = tiny_config(shared_data, tmp_path)
    splits = split_crops(config, ("val", "test"), progress=False)  # a weight soup has no training split to show
    model = create_model("cnn", pretrained=False, channels=3, size=128, depth=2, width=8)
    folder = finish_model(tmp_path, config, model, splits, {"soup": {"ingredients": ["a", "b"]}})
    card = json.loads((folder / "model.json").read_text())
    assert set(card["metrics"]) == {"val", "test"} and set(card["training"]["splits"]) == {"val", "test"}
    assert card["training"]["soup"] == {"ingredients": ["a", "b"]} and 0 <= card["threshold"] <= 1
    assert not (tmp_path / "curves.png").exists()  # no epochs, no curves


def test_evaluate_json_has_the_documented_keys(tiny_model, shared_data, tmp_path):
    data = copy_k140_test_faces(shared_data, tmp_path / "eval", 6)
    result = runner.invoke(app, ["evaluate", "--data", str(data), "--model", str(tiny_model), "--json",
                                 "--out", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert {"accuracy", "precision", "recall", "f1", "roc_auc", "ap", "eer", "ece", "confusion", "n_real",
            "n_fake", "threshold"} <= set(metrics)
    assert metrics["n_real"] == metrics["n_fake"] == 6
    for picture in ("roc.png", "pr.png", "confusion.png", "scores.png"):
        assert (tmp_path / "report" / picture).stat().st_size > 1000


def test_scan_json_matches_the_schema(tiny_model):
    result = runner.invoke(app, ["scan", str(REPO / "examples"), "--model", str(tiny_model), "--json", "-"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 7
    for record in records:
        jsonschema.validate(record, SCHEMA)
        assert record["verdict"] in ("real", "fake", "uncertain") and len(record["faces"]) == 1
    assert {r["faces"][0]["source"] for r in records} == {"whole", "detected"}


def test_scan_summary_and_python_api(tiny_model):
    import facetrust

    result = facetrust.scan(REPO / "examples/scene_astronaut.jpg", model=tiny_model)
    assert result.faces[0].verdict in ("real", "fake", "uncertain") and 0 <= result.faces[0].p_fake <= 1
    jsonschema.validate(result.to_dict(), SCHEMA)


def test_interrupted_training_resumes_after_the_last_finished_epoch(shared_data, tmp_path, monkeypatch):
    config = tiny_config(shared_data, tmp_path / "run")
    real_epoch = trainer_module._train_epoch
    epochs_run: list[int] = []

    def interrupt_in_epoch_two(*args, **kwargs):
        epoch = inspect.signature(real_epoch).bind(*args, **kwargs).arguments["epoch"]
        if epoch == 2 and -2 not in epochs_run:
            epochs_run.append(-2)
            raise KeyboardInterrupt
        epochs_run.append(epoch)
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr(trainer_module, "_train_epoch", interrupt_in_epoch_two)
    with pytest.raises(KeyboardInterrupt):
        train(config, progress=False)
    assert (tmp_path / "run/last.pt").exists() and not (tmp_path / "run/model").exists()
    train(config, progress=False)
    assert epochs_run == [1, -2, 2]  # epoch 1 was not trained again
    history = (tmp_path / "run/history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history[1:]] == ["1", "2"]


def test_a_run_folder_refuses_other_settings(shared_data, tmp_path):
    config = tiny_config(shared_data, tmp_path / "run")
    (tmp_path / "run").mkdir()
    (tmp_path / "run/config.json").write_text(json.dumps({**config.__dict__, "lr": 0.5}))
    with pytest.raises(FacetrustError, match=r"lr: 0\.5 -> 0\.003"):
        train(config, progress=False)


def test_augment_options_are_checked(shared_data, tmp_path):
    config = tiny_config(shared_data, tmp_path / "run")
    config.augment_options = {"jpeg": 0.2, "blurr": 0.1}
    with pytest.raises(FacetrustError, match=r"unknown augment_options \['blurr'\]"):
        train(config, progress=False)


def test_ema_weights_are_the_ones_selected_and_kept_for_resuming(shared_data, tmp_path):
    from safetensors.torch import load_file

    config = tiny_config(shared_data, tmp_path / "run")
    config.epochs, config.ema_decay = 1, 0.9
    train(config, progress=False)
    saved = torch.load(tmp_path / "run/last.pt", weights_only=True)
    shipped = load_file(str(tmp_path / "run/best.safetensors"))
    assert all(torch.equal(shipped[k], saved["ema"][k]) for k in shipped)
    assert not all(torch.equal(shipped[k], saved["model"][k]) for k in shipped if k.endswith("weight"))


def test_validation_augmented_once_seeded_per_face_for_specialists(shared_data, tmp_path, monkeypatch):
    from facetrust.data.augment import Augment
    from facetrust.training.trainer import augmented_copy, split_crops

    val = split_crops(tiny_config(shared_data, tmp_path), ("val",), progress=False)["val"]
    soft = Augment(blur=1.0, blur_sigma=(3.0, 3.0), jpeg=0)
    first, again = augmented_copy(val, soft, seed=0), augmented_copy(val, soft, seed=0)
    assert all((a == b).all() for a, b in zip(first.crops, again.crops, strict=True))  # the same copy every epoch
    assert not any((a == b).all() for a, b in zip(first.crops, val.crops, strict=True))
    assert first.samples == val.samples and len(first.crops) == len(val.crops)
    chosen_on = []
    monkeypatch.setattr(trainer_module, "augmented_copy",
                        lambda crop_set, augment, seed: chosen_on.append(augment) or crop_set)
    config = tiny_config(shared_data, tmp_path / "run")
    config.epochs, config.validate_augmented, config.augment_options = 1, True, {"blur": 1.0}
    train(config, progress=False)
    assert [augment.blur for augment in chosen_on] == [1.0]  # the run's own augmentation, applied to validation
