"""Confident learning on out-of-fold predictions, and training without the faces it flags."""

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from facetrust.cli import app
from facetrust.emotion import EMOTIONS
from facetrust.emotion.label_issues import HOLDOUT_COLUMNS, find_issues, read_holdouts, save_issue_sheet
from facetrust.emotion.training import EmotionTrainConfig, load_emotion_splits, soft_labels, train_emotion
from facetrust.errors import FacetrustError
from facetrust.models.checkpoint import load_model
from facetrust.models.inference import predict_logits

runner = CliRunner()


def _holdout_files(folder: Path, flipped: int = 30, per_class: int = 100) -> tuple[list[Path], set[str]]:
    """Two folds of out-of-fold predictions that read each face's true class with probability over 0.9, for faces
    of which `flipped` carry another class's label: the mislabelled faces a finder must name."""
    rng = np.random.default_rng(0)
    truth = np.repeat(np.arange(len(EMOTIONS)), per_class)
    probabilities = rng.dirichlet(np.ones(len(EMOTIONS)), size=len(truth)) * 0.08
    probabilities[np.arange(len(truth)), truth] += 0.92
    labels = truth.copy()
    wrong = rng.choice(len(truth), size=flipped, replace=False)
    labels[wrong] = (truth[wrong] + 1 + rng.integers(0, len(EMOTIONS) - 1, size=flipped)) % len(EMOTIONS)
    sources = [f"data/train/{EMOTIONS[label]}/Training_{i}.jpg" for i, label in enumerate(labels)]
    rows = [[source, EMOTIONS[label], *row] for source, label, row in zip(sources, labels, probabilities, strict=True)]
    return _two_folds(folder, rows), {sources[i] for i in wrong}


def _two_folds(folder: Path, rows: list[list]) -> list[Path]:
    """holdout0.csv and holdout1.csv in `folder`, the even and the odd rows."""
    paths = []
    for fold in (0, 1):
        path = folder / f"holdout{fold}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HOLDOUT_COLUMNS)
            writer.writerows(rows[fold::2])
        paths.append(path)
    return paths


def test_confident_learning_names_the_mislabelled_faces(tmp_path):
    paths, mislabelled = _holdout_files(tmp_path)
    predictions = read_holdouts(paths)
    issues = find_issues(predictions, max_label_probability=0.1).issues
    flagged = {source for source, issue in zip(predictions.sources, issues, strict=True) if issue}
    assert flagged == mislabelled


def test_a_face_is_flagged_only_when_its_label_probability_is_under_the_floor(tmp_path):
    paths, _ = _holdout_files(tmp_path)
    predictions = read_holdouts(paths)
    doubted = replace(predictions, probabilities=predictions.probabilities.copy())
    own = doubted.labels[0]
    doubted.probabilities[0] = 0.0
    doubted.probabilities[0, own], doubted.probabilities[0, (own + 1) % len(EMOTIONS)] = 0.05, 0.95
    assert find_issues(doubted, max_label_probability=0.03).by_confident_learning[0]  # flagged, but over the floor
    assert find_issues(doubted, max_label_probability=0.1).issues[0]
    assert not find_issues(doubted, max_label_probability=0.03).issues[0]


def test_the_command_writes_the_issues_file_train_reads(tmp_path):
    paths, mislabelled = _holdout_files(tmp_path)
    out = tmp_path / "issues.csv"
    result = runner.invoke(app, ["emotion", "label-issues", "--holdout", str(paths[0]), "--holdout", str(paths[1]),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"flagged {len(mislabelled)} (4.3%)" in result.output
    assert "confident learning alone 30 (4.3%)" in result.output  # these folds are strong: the floor removes none
    rows = list(csv.DictReader(out.open()))
    assert {row["source"] for row in rows} == mislabelled
    assert all(row["suggested"] != row["label"] for row in rows)
    assert [float(row["label_probability"]) for row in rows] == sorted(float(row["label_probability"]) for row in rows)


def test_a_face_held_out_twice_means_the_folds_do_not_match(tmp_path):
    paths, _ = _holdout_files(tmp_path)
    with pytest.raises(FacetrustError, match="held out by more than one run"):
        read_holdouts([paths[0], paths[0]])


def test_a_cut_short_holdout_file_is_named_with_its_line(tmp_path):
    paths, _ = _holdout_files(tmp_path)
    lines = paths[0].read_text().splitlines()
    paths[0].write_text("\n".join([*lines[:5], ",".join(lines[5].split(",")[:3])]) + "\n")  # a copy interrupted mid-row
    with pytest.raises(FacetrustError, match=r"holdout0\.csv: line 6 has 3 fields, not 9"):
        read_holdouts(paths)


def test_a_file_that_is_not_a_holdout_csv_is_named(tmp_path):
    other = tmp_path / "card.csv"
    other.write_text("split,accuracy\ntest,0.7\n")
    with pytest.raises(FacetrustError, match=r"card\.csv: not a holdout\.csv"):
        read_holdouts([other])


def _fer_config(shared_data, out: Path, **changes) -> EmotionTrainConfig:
    settings = {"model": "cnn", "epochs": 1, "batch_size": 16, "img_size": 48, "color": "gray", "max_per_split": 60,
                "model_options": {"depth": 2, "width": 8}}
    return EmotionTrainConfig(data=str(shared_data / "emotion/fer2013"), out=str(out), **settings | changes)


def test_listed_train_faces_are_not_trained_on(tmp_path, shared_data):
    splits, _, _ = load_emotion_splits(_fer_config(shared_data, tmp_path / "all"), progress=False)
    listed = splits["train"].samples[:5]
    listing = tmp_path / "issues.csv"
    with listing.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "label"])
        writer.writerows([sample.source, sample.label] for sample in listed)
    config = _fer_config(shared_data, tmp_path / "cleaned", exclude_faces=str(listing))
    cleaned, cleaning, _ = load_emotion_splits(replace(config, max_per_split=None), progress=False)
    left = {(s.source, s.label) for s in cleaned["train"].samples}
    assert not left & {(s.source, s.label) for s in listed}
    assert "5 train face(s) excluded by" in cleaning
    assert len(cleaned["public_test"].labels) > 3000  # only train faces go


def test_a_listing_made_for_other_data_fails_before_training(tmp_path, shared_data):
    listing = tmp_path / "issues.csv"
    listing.write_text("source,label\nelsewhere/train/happy/not_a_fer_face.jpg,happy\n")
    result = runner.invoke(app, ["emotion", "train", "--data", str(shared_data / "emotion/fer2013"), "--out",
                                 str(tmp_path / "run"), "--model", "cnn", "--max-per-split", "20",
                                 "--exclude-faces", str(listing)])
    assert result.exit_code == 2
    assert "issues.csv: 1 listed face(s) are not train faces" in result.output
    assert "not_a_fer_face.jpg" in result.output
    assert not (tmp_path / "run" / "last.pt").exists()


def _fer_holdouts(shared_data, folder: Path, probabilities) -> list[Path]:
    """Out-of-fold rows for every FER-2013 train file, in two folds; `probabilities(i)` gives face i's row."""
    faces = sorted((shared_data / "emotion/fer2013/train").glob("*/*.jpg"))
    return _two_folds(folder, [[face, face.parent.name, *probabilities(i)] for i, face in enumerate(faces)])


def test_soft_labels_are_the_out_of_fold_probabilities_and_ck_faces_keep_their_labels(tmp_path, shared_data):
    rng = np.random.default_rng(1)
    rows = rng.dirichlet(np.ones(len(EMOTIONS)), size=40000)
    paths = _fer_holdouts(shared_data, tmp_path, lambda i: rows[i])
    config = _fer_config(shared_data, tmp_path / "run", extra_data=[str(shared_data / "emotion/ckplus")],
                         teacher_holdouts=[str(p) for p in paths])
    predictions = read_holdouts(paths)
    train = load_emotion_splits(config, progress=False, out_of_fold=predictions)[0]["train"]
    expected = dict(zip(predictions.face_keys, predictions.probabilities, strict=True))
    fer = [i for i, s in enumerate(train.samples) if "fer2013" in s.source]
    assert fer and len(fer) < len(train.labels)  # CK+ faces too
    soft = soft_labels(train, predictions, temperature=1.0).numpy()
    for i, sample in enumerate(train.samples):
        key = f"{sample.label}/{Path(sample.source).name}"
        assert np.allclose(soft[i], expected[key] if i in fer else np.eye(len(EMOTIONS))[train.labels[i]], atol=1e-5)
    softer = soft_labels(train, predictions, temperature=2.0).numpy()[fer[0]]
    row = expected[f"{train.samples[fer[0]].label}/{Path(train.samples[fer[0]].source).name}"]
    assert np.allclose(softer, np.sqrt(row) / np.sqrt(row).sum(), atol=1e-5)


def test_a_network_taught_by_out_of_fold_labels_follows_them(tmp_path, shared_data):
    surprise = np.full(len(EMOTIONS), 0.001)
    surprise[EMOTIONS.index("surprise")] = 1 - 0.001 * (len(EMOTIONS) - 1)
    paths = [str(p) for p in _fer_holdouts(shared_data, tmp_path, lambda _i: surprise)]  # "every face is surprised"
    public = None

    def surprise_share(weight: float) -> float:
        nonlocal public
        config = _fer_config(shared_data, tmp_path / f"run{weight}", teacher_holdouts=paths, distill_weight=weight,
                             distill_temperature=1.0, epochs=3, lr=1e-2, max_per_split=300)
        folder = train_emotion(config, progress=False)
        public = public or load_emotion_splits(config, progress=False)[0]["public_test"]
        model = load_model(folder, backend="torch")
        return float((predict_logits(model.module, model.preprocess, public.images).argmax(1)
                      == EMOTIONS.index("surprise")).mean())

    assert surprise_share(1.0) > surprise_share(0.0) + 0.3


def test_soft_labels_made_for_other_data_fail_before_training(tmp_path, shared_data):
    holdout = tmp_path / "holdout.csv"
    holdout.write_text(",".join(HOLDOUT_COLUMNS) + "\nelsewhere/train/happy/a.jpg,happy" + ",0.1" * 7 + "\n")
    result = runner.invoke(app, ["emotion", "train", "--data", str(shared_data / "emotion/fer2013"), "--out",
                                 str(tmp_path / "run"), "--model", "cnn", "--max-per-split", "20",
                                 "--teacher-holdout", str(holdout)])
    assert result.exit_code == 2
    assert "holdout.csv: no out-of-fold row for" in result.output
    assert not (tmp_path / "run" / "last.pt").exists()
    both = runner.invoke(app, ["emotion", "train", "--data", str(shared_data / "emotion/fer2013"), "--out",
                               str(tmp_path / "run2"), "--model", "cnn", "--teacher-holdout", str(holdout),
                               "--teacher", str(tmp_path)])
    assert both.exit_code == 2 and "distil from one of them" in both.output


def test_the_sheet_shows_the_flagged_faces_of_every_class(tmp_path):
    paths, mislabelled = _holdout_files(tmp_path)
    predictions = read_holdouts(paths)
    for source in mislabelled:  # only flagged faces are drawn; each a distinct grey level
        (tmp_path / Path(source).parent).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((48, 48), len(source) % 256, np.uint8)).save(tmp_path / source)
    issues = np.array([source in mislabelled for source in predictions.sources])
    moved = replace(predictions, sources=[str(tmp_path / source) for source in predictions.sources])
    sheet = save_issue_sheet(tmp_path / "sheet.png", moved, issues, per_class=4)
    with Image.open(sheet) as picture:
        assert picture.format == "PNG" and picture.height > picture.width  # seven rows of four faces
