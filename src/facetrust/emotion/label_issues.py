"""Which training faces carry a wrong label: confident learning on out-of-fold predictions.

FER-2013's labels are noisy (docs/EMOTION.md: smiling faces labelled sad, a "photo not available" placeholder
labelled neutral). `facetrust emotion train --holdout-fold k/K` gives every training face a prediction from a network
that never saw its label; cleanlab's confident learning (Northcutt et al., JAIR 2021) reads those predictions and
flags the faces whose label the networks confidently disagree with. Networks weaker than the labels' noise flag their
own mistakes too, so a face is kept as an issue only when its own label's probability is also under a floor.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facetrust.atomic import atomic_write
from facetrust.emotion.data import EmotionSample
from facetrust.emotion.labels import EMOTIONS
from facetrust.errors import FacetrustError

HOLDOUT_COLUMNS = ["source", "label", *EMOTIONS]  # holdout.csv, written by `emotion train --holdout-fold`
ISSUE_COLUMNS = ["source", "label", "suggested", "label_probability"]


@dataclass(frozen=True)
class OutOfFold:
    """Every training face once: its file, its label's index and a network's calibrated probabilities."""

    sources: list[str]
    labels: np.ndarray
    probabilities: np.ndarray

    @property
    def label_probabilities(self) -> np.ndarray:
        """Each face's probability of its own label."""
        return self.probabilities[np.arange(len(self.labels)), self.labels]

    @property
    def face_keys(self) -> list[str]:
        """Each face as label/file name: how `exclude_faces` and the soft labels of training find it."""
        return [face_key(source, EMOTIONS[k]) for source, k in zip(self.sources, self.labels, strict=True)]


def write_holdout(path: Path, held_out: list[EmotionSample], probabilities: np.ndarray) -> None:
    """One row per held-out face: its file, its label and the network's calibrated probability of each class."""
    with atomic_write(path) as partial, partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HOLDOUT_COLUMNS)
        for sample, row in zip(held_out, probabilities, strict=True):
            writer.writerow([sample.source, sample.label, *(f"{value:.6f}" for value in row)])


def read_holdouts(paths: list[Path]) -> OutOfFold:
    """The `holdout.csv` files of K runs, pooled; a face held out by two of them means the folds do not match."""
    sources: list[str] = []
    labels: list[int] = []
    rows: list[list[float]] = []
    for path in paths:
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                reader = csv.reader(handle)
                if next(reader, None) != HOLDOUT_COLUMNS:
                    raise FacetrustError(f"{path}: not a holdout.csv (expected the header {','.join(HOLDOUT_COLUMNS)})")
                for row in reader:
                    if len(row) != len(HOLDOUT_COLUMNS):
                        raise FacetrustError(f"{path}: line {reader.line_num} has {len(row)} fields, not "
                                             f"{len(HOLDOUT_COLUMNS)}")
                    sources.append(row[0])
                    labels.append(EMOTIONS.index(row[1]))
                    rows.append([float(value) for value in row[2:]])
        except OSError as exc:
            raise FacetrustError(f"{path}: cannot read it ({exc.strerror})") from None
        except ValueError as exc:  # a label that is not a class, a probability that is not a number
            raise FacetrustError(f"{path}: a malformed row ({exc})") from None
    pooled = OutOfFold(sources, np.array(labels), np.array(rows))
    twice = [key for key, count in Counter(pooled.face_keys).items() if count > 1]
    if twice:
        raise FacetrustError(f"{len(twice)} face(s) held out by more than one run (e.g. {twice[0]}): give one "
                             "holdout.csv per fold of the same K")
    return pooled


@dataclass(frozen=True)
class Flags:
    """Masks over the faces: what confident learning flags, and of those the faces under the floor (the issues).
    The gap between the two says how much the folds' own mistakes inflate confident learning."""

    by_confident_learning: np.ndarray
    issues: np.ndarray


def find_issues(predictions: OutOfFold, max_label_probability: float) -> Flags:
    """The faces cleanlab flags (prune by noise rate), and those whose own label's probability is under the floor."""
    from cleanlab.filter import find_label_issues  # imported here: only this step needs it

    missing = sorted(set(range(len(EMOTIONS))) - set(predictions.labels.tolist()))
    if missing:
        raise FacetrustError(f"no face labelled {', '.join(EMOTIONS[i] for i in missing)} in the holdout files: "
                             "confident learning needs every class")
    flagged = find_label_issues(predictions.labels, predictions.probabilities, filter_by="prune_by_noise_rate")
    return Flags(flagged, flagged & (predictions.label_probabilities < max_label_probability))


def write_issues(path: Path, predictions: OutOfFold, issues: np.ndarray) -> None:
    """The flagged faces, most confidently mislabelled first: the file `emotion train --exclude-faces` reads."""
    own = predictions.label_probabilities
    order = [i for i in np.argsort(own, kind="stable") if issues[i]]
    with atomic_write(path) as partial, partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ISSUE_COLUMNS)
        for i in order:
            writer.writerow([predictions.sources[i], EMOTIONS[predictions.labels[i]],
                             EMOTIONS[int(predictions.probabilities[i].argmax())], f"{own[i]:.6f}"])


def save_issue_sheet(path: Path, predictions: OutOfFold, issues: np.ndarray, per_class: int = 10,
                     seed: int = 0) -> Path:
    """A seeded random sample of each class's flagged faces, captioned with what the networks say instead: what the
    flagging removes, shown to a person before anything trains on it (not the most extreme cases, which flatter)."""
    import matplotlib.pyplot as plt
    from PIL import Image

    from facetrust.evaluation.plots import save_figure

    rng = np.random.default_rng(seed)
    figure, grid = plt.subplots(len(EMOTIONS), per_class, figsize=(1.3 * per_class, 1.55 * len(EMOTIONS)),
                                squeeze=False)
    for k, emotion in enumerate(EMOTIONS):
        flagged = np.flatnonzero(issues & (predictions.labels == k))
        chosen = rng.choice(flagged, size=min(per_class, len(flagged)), replace=False) if len(flagged) else []
        for column, axes in enumerate(grid[k]):
            axes.axis("off")
            if column < len(chosen):
                i = chosen[column]
                try:
                    with Image.open(predictions.sources[i]) as image:
                        axes.imshow(image.convert("L"), cmap="gray", vmin=0, vmax=255)
                except OSError as exc:  # the data folder moved since the holdout files were written
                    plt.close(figure)
                    raise FacetrustError(f"{predictions.sources[i]}: cannot read it for the sheet ({exc})") from None
                own = predictions.probabilities[i, k]
                axes.set_title(f"-> {EMOTIONS[int(predictions.probabilities[i].argmax())]} ({own:.2f})", fontsize=7)
        grid[k][0].text(-0.15, 0.5, f"{emotion}\n{len(flagged)}", transform=grid[k][0].transAxes, ha="right",
                        va="center", fontsize=9)
    figure.suptitle("Flagged faces by their label (rows): what out-of-fold networks say instead, and the label's "
                    "probability", fontsize=9)
    return save_figure(figure, path)


def face_key(source: str, label: str) -> str:
    """A face wherever the data folder lies, as label/file name (FER-2013 reuses two file names across classes)."""
    return f"{label}/{Path(source).name}"


def excluded_faces(path: Path) -> set[str]:
    """The faces a CSV with `source` and `label` columns lists (an issues file, or a holdout.csv)."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if not {"source", "label"} <= set(reader.fieldnames or []):
                raise FacetrustError(f"{path}: needs source and label columns (as `facetrust emotion label-issues` "
                                     "writes)")
            return {face_key(row["source"], row["label"]) for row in reader}
    except OSError as exc:
        raise FacetrustError(f"{path}: cannot read it ({exc.strerror})") from None
