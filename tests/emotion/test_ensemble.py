"""An ensemble of two real expression models (fer's mini-Xception, a tiny CNN) built, measured and exported."""

import json
import shutil

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from typer.testing import CliRunner

from facetrust.bundled import default_emotion_model_path
from facetrust.cli import app
from facetrust.emotion.training import EmotionTrainConfig, train_emotion
from facetrust.models.checkpoint import load_model
from facetrust.models.inference import batch_of

runner = CliRunner()
SIZE = 64  # both members read 64 px, so no resampling differs between a member alone and inside the ensemble


@pytest.fixture(scope="module")
def members(tmp_path_factory, shared_data):
    out = tmp_path_factory.mktemp("members")
    data = str(shared_data / "emotion/fer2013")
    baseline = train_emotion(EmotionTrainConfig(data=data, out=str(out / "fer"), model="mini_xception", epochs=0,
                                                max_per_split=40), progress=False)
    cnn = train_emotion(EmotionTrainConfig(data=data, out=str(out / "cnn"), model="cnn", epochs=1, batch_size=16,
                                           img_size=SIZE, color="rgb", max_per_split=40,
                                           model_options={"depth": 2, "width": 8}), progress=False)
    return [baseline, cnn]


@pytest.fixture(scope="module")
def ensemble(members, tmp_path_factory, shared_data):
    out = tmp_path_factory.mktemp("ensemble")
    result = runner.invoke(app, ["emotion", "ensemble", "--data", str(shared_data / "emotion/fer2013"), "--model",
                                 str(members[0]), "--model", str(members[1]), "--out", str(out),
                                 "--max-per-split", "40"])
    assert result.exit_code == 0, result.output
    assert "private_test: accuracy" in result.output
    return out / "model"


def faces(shared_data, count: int = 12) -> list[np.ndarray]:
    paths = sorted((shared_data / "emotion/fer2013/private_test/happy").iterdir())[:count // 2] + sorted(
        (shared_data / "emotion/fer2013/private_test/sad").iterdir())[:count // 2]
    return [cv2.resize(cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB), (SIZE, SIZE)) for p in paths]


def test_ensemble_is_the_mean_of_its_members_calibrated_log_probabilities(members, ensemble, shared_data):
    card = json.loads((ensemble / "model.json").read_text())
    assert card["architecture"] == "ensemble" and card["task"] == "emotion"
    assert [m["architecture"] for m in card["architecture_options"]["members"]] == ["mini_xception", "cnn"]
    assert "weights" not in card["architecture_options"]  # the card needs no member folders to load
    assert set(card["metrics"]) == {"train", "public_test", "private_test"}
    crops = faces(shared_data)
    expected = []
    for folder in members:
        member = load_model(folder, backend="torch")
        with torch.no_grad():
            logits = member.module(batch_of(member.preprocess, crops))
        expected.append(F.log_softmax(logits / member.card.temperature, dim=1))
    whole = load_model(ensemble, backend="torch")
    with torch.no_grad():
        got = whole.module(batch_of(whole.preprocess, crops))
    assert torch.allclose(got, torch.stack(expected).mean(0), atol=1e-4)
    assert not torch.allclose(expected[0], expected[1], atol=1e-2)  # two different members, not one twice


def test_ensemble_runs_on_onnxruntime_like_pytorch(ensemble, shared_data):
    crops = faces(shared_data)
    fast, slow = load_model(ensemble, backend="onnxruntime"), load_model(ensemble, backend="torch")
    assert fast.backend == "onnxruntime"
    assert np.abs(fast.logits(crops) - slow.logits(crops)).max() < 1e-3


def test_ensemble_refuses_a_single_or_a_detector_member(members, tmp_path, shared_data):
    from facetrust.bundled import default_model_path
    from facetrust.training import TrainConfig, train

    detector = train(TrainConfig(data=str(shared_data / "faces/k140"), out=str(tmp_path / "d"), model="cnn",
                                 epochs=1, batch_size=8, max_per_split=12, model_options={"depth": 2, "width": 4}),
                     progress=False)
    base = ["emotion", "ensemble", "--data", str(shared_data / "emotion/fer2013"), "--out", str(tmp_path / "e")]
    result = runner.invoke(app, [*base, "--model", str(members[0])])
    assert result.exit_code == 2 and "at least two" in result.output
    result = runner.invoke(app, [*base, "--model", str(members[0]), "--model", str(detector)])
    assert result.exit_code == 2 and "models of one task" in result.output
    result = runner.invoke(app, [*base, "--model", str(detector), "--model", str(detector)])
    assert result.exit_code == 2 and "needs expression models" in result.output
    result = runner.invoke(app, [*base, "--model", str(members[0]), "--model", str(default_model_path())])
    assert result.exit_code == 2 and "not ensembles" in result.output  # the bundled detector is itself a pair


def test_emotion_evaluate_defaults_to_the_bundled_model(tmp_path, shared_data):
    for label in ("happy", "sad"):
        (tmp_path / label).mkdir()
        for path in sorted((shared_data / "emotion/fer2013/private_test" / label).iterdir())[:3]:
            shutil.copy(path, tmp_path / label / path.name)
    result = runner.invoke(app, ["emotion", "evaluate", "--data", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    bundled = json.loads((default_emotion_model_path() / "model.json").read_text())
    metrics = json.loads(result.stdout)
    assert metrics["model"]["name"] == bundled["name"] and metrics["n"] == 6


def test_study_compares_models_on_real_and_ai_faces_in_one_run(members, tmp_path, shared_data):
    real = tmp_path / "fer_private"
    for label in ("happy", "sad", "surprise"):
        (real / label).mkdir(parents=True)
        for path in sorted((shared_data / "emotion/fer2013/private_test" / label).iterdir())[:4]:
            shutil.copy(path, real / label / path.name)
    ai = tmp_path / "ai"
    for label in ("happy", "surprise"):
        (ai / label).mkdir(parents=True)
        for path in sorted((shared_data / "emotion/ai_sd15" / label).iterdir())[:2]:
            shutil.copy(path, ai / label / path.name)
    out = tmp_path / "study"
    result = runner.invoke(app, ["emotion", "study", "--model", str(members[0]), "--model", str(members[1]),
                                 "--data", str(real), "--ai-data", f"{ai}:detect", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = json.loads((out / "study.json").read_text())
    names = [json.loads((m / "model.json").read_text())["name"] for m in members]
    assert [(r["model"], r["data"], r["face_mode"]) for r in rows] == [
        (names[0], "fer_private", "whole"), (names[0], "ai", "detect"),
        (names[1], "fer_private", "whole"), (names[1], "ai", "detect")]
    alone = runner.invoke(app, ["emotion", "evaluate", "--data", str(real), "--model", str(members[1]), "--json"])
    assert json.loads(alone.stdout)["accuracy"] == rows[2]["accuracy"]  # a study cell is `emotion evaluate`
    assert rows[1]["n"] + rows[1]["no_face"] == 4 and "recall_surprise" in rows[1]
    for name in names:
        assert (out / f"confusions-{name}.png").stat().st_size > 10_000
    assert "| fer_private |" in (out / "study.md").read_text().replace(f"| {names[0]} ", "")
    # the gap compares like with like: the real set's faces of the AI set's classes (happy, surprise; not sad)
    gaps = json.loads((out / "gap.json").read_text())
    assert [(g["model"], g["ai_data"], g["real_data"], g["classes"]) for g in gaps] == [
        (names[0], "ai", "fer_private", "happy, surprise"), (names[1], "ai", "fer_private", "happy, surprise")]
    for gap, real_row, ai_row in zip(gaps, rows[0::2], rows[1::2], strict=True):
        real_mean = (real_row["recall_happy"] + real_row["recall_surprise"]) / 2  # 4 faces each: pooled = mean
        assert gap["n_real"] == 8 and gap["accuracy_real"] == pytest.approx(real_mean)
        assert gap["accuracy_ai"] == ai_row["accuracy"]
        assert gap["gap"] == pytest.approx(ai_row["accuracy"] - real_mean)
        ai_mean = (ai_row["recall_happy"] + ai_row["recall_surprise"]) / 2
        assert gap["balanced_gap"] == pytest.approx(ai_mean - real_mean)
        assert (out / f"gap-{gap['model']}.png").stat().st_size > 10_000
    assert "Real-vs-AI gap" in result.stdout
