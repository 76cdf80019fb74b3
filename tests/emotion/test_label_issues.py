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
from facetrust.emotion.training import EmotionTrainConfig, load_emotion_splits
from facetrust.errors import FacetrustError

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
    paths = []
    for fold in (0, 1):
        path = folder / f"holdout{fold}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HOLDOUT_COLUMNS)
            for i in range(fold, len(truth), 2):
                writer.writerow([sources[i], EMOTIONS[labels[i]], *probabilities[i]])
        paths.append(path)
    return paths, {sources[i] for i in wrong}


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
    return EmotionTrainConfig(data=str(shared_data / "emotion/fer2013"), out=str(out), model="cnn", epochs=1,
                              batch_size=16, img_size=48, color="gray", max_per_split=60,
                              model_options={"depth": 2, "width": 8}, **changes)


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
