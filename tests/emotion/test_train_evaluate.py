"""Expression models end to end on real faces with tiny settings (the CI path)."""

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from facetrust.bundled import default_model_path
from facetrust.cli import app
from facetrust.emotion import EMOTIONS, training
from facetrust.emotion.training import TTA_CHOICES, EmotionTrainConfig, load_emotion_splits, train_emotion
from facetrust.errors import FacetrustError
from facetrust.evaluation.multiclass import multiclass_metrics
from facetrust.models.checkpoint import load_model
from facetrust.models.inference import predict_logits

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_emotion_model(tmp_path_factory, shared_data):
    out = tmp_path_factory.mktemp("emotion")
    config = EmotionTrainConfig(data=str(shared_data / "emotion/fer2013"), out=str(out), model="cnn", epochs=2,
                                batch_size=16, lr=3e-3, img_size=48, color="gray", max_per_split=60,
                                model_options={"depth": 2, "width": 8})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training, "TRAIN_MEASURED", 40)  # the card measures a sample of the training split
        return train_emotion(config, progress=False)


def test_card_says_how_it_was_chosen_and_what_it_scored(tiny_emotion_model):
    card = json.loads((tiny_emotion_model / "model.json").read_text())
    assert card["task"] == "emotion" and card["classes"] == list(EMOTIONS)
    assert card["faces"]["margin"] == -0.3  # the scan path's framing chosen on public_test, as the bundled card's
    assert card["selection"]["split"] == "public_test" and card["training"]["roles"]["test"] == ["private_test"]
    assert set(card["metrics"]) == {"train", "public_test", "private_test"}
    assert card["metrics"]["private_test"]["n"] == card["metrics"]["public_test"]["n"] == 60
    assert card["metrics"]["train"]["n"] == 40 and card["metrics"]["train"]["sampled_from"] == 60
    assert card["temperature"] > 0
    assert "across splits" in card["training"]["cleaning"]
    assert (tiny_emotion_model.parent / "curves.png").stat().st_size > 1000


def test_test_time_augmentation_is_the_most_accurate_on_public_test(tiny_emotion_model):
    card = json.loads((tiny_emotion_model / "model.json").read_text())
    splits, _, _ = load_emotion_splits(EmotionTrainConfig(**card["training"]["config"]), progress=False)
    model = load_model(tiny_emotion_model, backend="torch")
    public = splits["public_test"]
    accuracy = {tta: multiclass_metrics(public.labels, predict_logits(model.module, model.preprocess, public.images,
                                                                      tta=tta), EMOTIONS)["accuracy"]
                for tta in TTA_CHOICES}
    assert card["tta"] in TTA_CHOICES and accuracy[card["tta"]] == max(accuracy.values())
    assert card["selection"]["tta_accuracy"] == pytest.approx({tta or "none": v for tta, v in accuracy.items()})
    assert card["metrics"]["public_test"]["accuracy"] == pytest.approx(accuracy[card["tta"]])


def test_a_second_folder_trains_too_and_selection_averages_each_folders_accuracy(tmp_path, shared_data):
    config = EmotionTrainConfig(data=str(shared_data / "emotion/fer2013"), out=str(tmp_path),
                                extra_data=[str(shared_data / "emotion/ckplus")], model="cnn", epochs=1, batch_size=16,
                                img_size=48, color="gray", max_per_split=60, model_options={"depth": 2, "width": 8})
    splits, _, roles = load_emotion_splits(config, progress=False)
    assert roles.select == ("public_test", "ckplus/val") and roles.test == ("private_test", "ckplus/test")
    ckplus = {name: {s.subject for s in splits[name].samples if "ckplus" in s.source}
              for name in ("train", "ckplus/val", "ckplus/test")}
    assert ckplus["train"] and ckplus["ckplus/val"] and ckplus["ckplus/test"]
    assert not (ckplus["train"] & ckplus["ckplus/val"]) and not (ckplus["train"] & ckplus["ckplus/test"])
    reseeded, _, _ = load_emotion_splits(replace(config, seed=1), progress=False)
    trained = {s.subject for s in reseeded["train"].samples if "ckplus" in s.source}
    assert trained and not trained & (ckplus["ckplus/val"] | ckplus["ckplus/test"])  # seeds can be ensembled
    for name in ("public_test", "ckplus/val", "private_test", "ckplus/test"):  # and are scored on the same faces
        assert reseeded[name].samples == splits[name].samples
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training, "TRAIN_MEASURED", 40)
        card = json.loads((train_emotion(config, progress=False) / "model.json").read_text())
    assert set(card["metrics"]) == {"train", "public_test", "ckplus/val", "private_test", "ckplus/test"}
    mean = (card["metrics"]["public_test"]["accuracy"] + card["metrics"]["ckplus/val"]["accuracy"]) / 2
    assert card["selection"]["tta_accuracy"][card["tta"] or "none"] == pytest.approx(mean)


def test_a_run_started_from_trained_weights_scores_like_them(tiny_emotion_model, tmp_path):
    trained = json.loads((tiny_emotion_model / "model.json").read_text())
    settings = trained["training"]["config"] | {"out": str(tmp_path), "epochs": 0, "tta": trained["tta"] or "none",
                                                 "init_weights": str(tiny_emotion_model / "model.safetensors")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training, "TRAIN_MEASURED", 40)
        card = json.loads((train_emotion(EmotionTrainConfig(**settings), progress=False) / "model.json").read_text())
    assert card["metrics"]["public_test"]["accuracy"] == trained["metrics"]["public_test"]["accuracy"]
    with pytest.raises(FacetrustError, match="init_weights"):
        train_emotion(EmotionTrainConfig(**settings | {"out": str(tmp_path / "other"), "model_options":
                                                       {"depth": 3, "width": 8}}), progress=False)


def test_an_unknown_test_time_augmentation_fails_before_training(tmp_path, shared_data):
    config = EmotionTrainConfig(data=str(shared_data / "emotion/fer2013"), out=str(tmp_path), model="cnn", tta="zoom")
    with pytest.raises(FacetrustError, match="unknown test-time augmentation 'zoom'; use none, flip, ten_crop"):
        train_emotion(config, progress=False)
    assert not (tmp_path / "last.pt").exists()


def test_evaluate_json_keys_and_a_subset_of_classes(tiny_emotion_model, shared_data, tmp_path):
    result = runner.invoke(app, ["emotion", "evaluate", "--data", str(shared_data / "emotion/ckplus"), "--model",
                                 str(tiny_emotion_model), "--json", "--out", str(tmp_path / "ck")])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert {"accuracy", "macro_f1", "per_class", "confusion", "n"} <= set(metrics)
    assert metrics["not_scored"] == {"contempt": 54} and metrics["n"] == 981 - 54
    assert "neutral" not in metrics["per_class"] and "none of: neutral" in metrics["note"]
    assert sum(map(sum, metrics["confusion"])) == metrics["n"]
    assert (tmp_path / "ck/confusion.png").stat().st_size > 5000
    result = runner.invoke(app, ["plot", "confusions", str(tmp_path / "ck/metrics.json"),
                                 str(tmp_path / "ck/metrics.json"), "--out", str(tmp_path / "side.png")])
    assert result.exit_code == 0 and "2 confusion matrices" in result.output
    assert (tmp_path / "side.png").stat().st_size > 10_000


def test_fer_baseline_measured_as_it_is(shared_data, tmp_path):
    result = runner.invoke(app, ["emotion", "train", "--data", str(shared_data / "emotion/fer2013"), "--out",
                                 str(tmp_path / "run"), "--model", "mini_xception", "--epochs", "0",
                                 "--max-per-split", "70"])
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "run/model/model.json").read_text())
    assert card["training"]["epochs_run"] == 0
    assert card["metrics"]["public_test"]["accuracy"] > 0.45  # fer's weights as shipped (chance is 1/7)


def test_a_detector_is_not_an_expression_model(shared_data):
    result = runner.invoke(app, ["emotion", "evaluate", "--data", str(shared_data / "emotion/ai_sd15"), "--model",
                                 str(default_model_path())])
    assert result.exit_code == 2 and "is not an expression model" in result.output


def test_distillation_loss_is_zero_when_the_network_matches_its_teacher():
    logits = torch.tensor([[2.0, -1.0, 0.5, 0.0, 0.0, 1.0, -2.0]])
    teacher = torch.softmax(logits / 2.0, dim=1)
    assert training._distillation_loss(logits, teacher, 2.0).item() == pytest.approx(0.0, abs=1e-6)
    assert training._distillation_loss(logits.flip(1), teacher, 2.0).item() > 0.1


def test_a_distilled_network_learns_its_teachers_answers(tiny_emotion_model, tmp_path, shared_data):
    settings = json.loads((tiny_emotion_model / "model.json").read_text())["training"]["config"]
    config = EmotionTrainConfig(**settings | {"out": str(tmp_path), "teacher": str(tiny_emotion_model),
                                              "distill_weight": 1.0, "epochs": 3, "lr": 1e-2})
    splits, _, _ = load_emotion_splits(config, progress=False)
    teacher = load_model(tiny_emotion_model)
    soft = training.teacher_probabilities(config, splits["train"], tmp_path, progress=False)
    expected = torch.softmax(torch.from_numpy(teacher.logits(splits["train"].images)) / 2.0, dim=1)
    assert torch.allclose(soft, expected, atol=1e-5) and (tmp_path / "teacher_logits.npy").exists()
    # a teacher that calls every face happy, put in the run's cache: the network trained only on it follows
    happy = np.full((len(splits["train"].labels), len(EMOTIONS)), -10.0, np.float32)
    happy[:, EMOTIONS.index("happy")] = 10.0
    np.save(tmp_path / "teacher_logits.npy", happy)
    public = splits["public_test"]

    def happy_share(folder) -> float:
        model = load_model(folder, backend="torch")
        return float((predict_logits(model.module, model.preprocess, public.images).argmax(1)
                      == EMOTIONS.index("happy")).mean())

    assert happy_share(train_emotion(config, progress=False)) > happy_share(tiny_emotion_model) + 0.3  # 0.73, 0.0
    assert json.loads((tmp_path / "model" / "model.json").read_text())["training"]["config"]["teacher"]


def test_a_consistent_teacher_reads_each_batch_as_the_network_sees_it(tiny_emotion_model, tmp_path, shared_data):
    settings = json.loads((tiny_emotion_model / "model.json").read_text())["training"]["config"]
    config = EmotionTrainConfig(**settings | {"out": str(tmp_path), "teacher": str(tiny_emotion_model),
                                              "teacher_views": "augmented", "epochs": 1})
    splits, _, _ = load_emotion_splits(config, progress=False)
    faces = splits["train"].images[:8]
    darker = [(face * 0.4).astype(np.uint8) for face in faces]  # what an augmentation might hand the network
    taught = training.teaching(config, splits["train"], tmp_path, progress=False)
    teacher = load_model(tiny_emotion_model)
    expected = torch.softmax(torch.from_numpy(predict_logits(teacher.runner or teacher.module, teacher.preprocess,
                                                             darker)) / 2.0, dim=1)
    assert torch.allclose(taught(np.arange(8), darker), expected, atol=1e-5)
    assert not torch.allclose(taught(np.arange(8), faces), expected, atol=1e-3)
    assert not (tmp_path / "teacher_logits.npy").exists()  # nothing fixed is computed or cached
    train_emotion(config, progress=False)
    assert json.loads((tmp_path / "model" / "model.json").read_text())["training"]["config"]["teacher_views"] \
        == "augmented"


def test_teacher_views_must_be_fixed_or_augmented(tmp_path, shared_data):
    config = EmotionTrainConfig(data=str(shared_data / "emotion/fer2013"), out=str(tmp_path), model="cnn", epochs=1,
                                max_per_split=20, teacher=str(default_model_path()), teacher_views="random")
    with pytest.raises(FacetrustError, match="teacher_views 'random'"):
        train_emotion(config, progress=False)


def test_a_detector_cannot_teach_expressions(tmp_path, shared_data):
    config = EmotionTrainConfig(data=str(shared_data / "emotion/fer2013"), out=str(tmp_path), model="cnn", epochs=1,
                                max_per_split=20, teacher=str(default_model_path()))
    with pytest.raises(FacetrustError, match="are not"):
        train_emotion(config, progress=False)


def test_a_held_out_fold_is_never_trained_on_and_gets_calibrated_probabilities(tmp_path, shared_data):
    config = EmotionTrainConfig(data=str(shared_data / "emotion/fer2013"), out=str(tmp_path), model="cnn", epochs=1,
                                batch_size=16, img_size=48, color="gray", max_per_split=60, holdout_fold="1/2",
                                model_options={"depth": 2, "width": 8})
    splits, _, _ = load_emotion_splits(config, progress=False)
    assert not any(training.held_out_by(s, (1, 2)) for s in splits["train"].samples)
    assert all(training.held_out_by(s, (1, 2)) for s in splits["holdout"].samples)
    other, _, _ = load_emotion_splits(replace(config, holdout_fold="0/2", seed=1), progress=False)
    assert all(training.held_out_by(s, (0, 2)) for s in other["holdout"].samples)  # the folds do not depend on the seed
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training, "TRAIN_MEASURED", 40)
        card = json.loads((train_emotion(config, progress=False) / "model.json").read_text())
    rows = (tmp_path / "holdout.csv").read_text().splitlines()
    assert rows[0].split(",") == ["source", "label", *EMOTIONS] and len(rows) == 61
    probabilities = np.array([[float(v) for v in row.split(",")[2:]] for row in rows[1:]])
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    labels = [EMOTIONS.index(row.split(",")[1]) for row in rows[1:]]
    assert [row.split(",")[0] for row in rows[1:]] == [s.source for s in splits["holdout"].samples]
    accuracy = float(np.mean(probabilities.argmax(axis=1) == np.array(labels)))
    assert card["metrics"]["holdout"]["n"] == 60 and card["metrics"]["holdout"]["accuracy"] == pytest.approx(accuracy)


def test_folds_split_fer_train_in_halves_by_file_name(shared_data):
    samples = [s for s in training.discover_emotions(shared_data / "emotion/fer2013/train")]
    held_out = np.array([training.held_out_by(s, (1, 2)) for s in samples])
    assert 0.45 < held_out.mean() < 0.55


@pytest.mark.parametrize("fold", ["2/2", "0/1", "a/2", "1"])
def test_a_wrong_holdout_fold_fails_before_training(tmp_path, shared_data, fold):
    config = EmotionTrainConfig(data=str(shared_data / "emotion/fer2013"), out=str(tmp_path), model="cnn",
                                holdout_fold=fold)
    with pytest.raises(FacetrustError, match=f"holdout_fold '{fold}': use k/K"):
        train_emotion(config, progress=False)
    assert not (tmp_path / "last.pt").exists()
