"""Real/fake datasets from folders or manifests: labels, deterministic splits, duplicate checks."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath

import numpy as np

from facetrust.data.layout import label_of, split_of
from facetrust.errors import FacetrustError
from facetrust.media.files import media_files

LABELS = {"real": 0, "fake": 1}


@dataclass(frozen=True)
class Sample:
    """One labelled file. `group` ties files of one identity/video together so splits never separate them;
    `source` names the data set it came from when a model trains on several (see `data.sources`)."""

    path: Path
    label: int
    split: str = ""
    group: str = ""
    source: str = ""


@dataclass
class DuplicateReport:
    """Exact duplicates (same bytes): within a split, across splits, and with conflicting labels."""

    within_split: int = 0
    across_splits: int = 0
    conflicting_labels: int = 0
    dropped: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.within_split} duplicate(s) within a split, {self.across_splits} across splits "
                f"({len(self.dropped)} dropped from the evaluated split), "
                f"{self.conflicting_labels} with conflicting labels")


def discover(root: str | Path) -> list[Sample]:
    """Samples from a folder layout (`real/`, `fake/` and aliases, optional split folders) or a manifest."""
    root = Path(root)
    if root.is_file():
        return read_manifest(root)
    if not root.is_dir():
        raise FacetrustError(f"{root}: no such folder or manifest file")
    samples = []
    for path in media_files(root):
        relative = PurePath(path.relative_to(root).as_posix())
        label = label_of(relative)
        if label in LABELS:
            samples.append(Sample(path, LABELS[label], split_of(relative), group=path.stem))
    if not samples:
        raise FacetrustError(f"{root}: found no images under real/ or fake/ folders (or their aliases "
                             "0_real, 1_fake, ai, training_real, training_fake)")
    return samples


def read_manifest(path: Path) -> list[Sample]:
    """CSV or TSV with columns `path` and `label` (real/fake or 0/1), optional `split` and `group`."""
    dialect = "excel-tab" if path.suffix.lower() in (".tsv", ".tab") else "excel"
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, dialect=dialect))
    if not rows or not {"path", "label"} <= set(rows[0]):
        raise FacetrustError(f"{path}: a manifest needs the columns path and label")
    samples = []
    for number, row in enumerate(rows, start=2):
        label = row["label"].strip().lower()
        if label not in ("real", "fake", "0", "1"):
            raise FacetrustError(f"{path}, line {number}: label {row['label']!r} is not real/fake/0/1")
        file = Path(row["path"])
        file = file if file.is_absolute() else path.parent / file
        value = LABELS[label] if label in LABELS else int(label)
        samples.append(Sample(file, value, row.get("split", "").strip(), row.get("group", "").strip() or file.stem))
    return samples


def assign_splits(samples: list[Sample], val_fraction: float = 0.15, test_fraction: float = 0.15,
                  seed: int = 0) -> list[Sample]:
    """Give samples without a split one from a hash of (seed, group): deterministic, never splitting a group."""
    return [s if s.split else replace(s, split=split_for_group(s.group, seed, val_fraction, test_fraction))
            for s in samples]


def split_for_group(group: str, seed: int = 0, val_fraction: float = 0.15, test_fraction: float = 0.15) -> str:
    """"train", "val" or "test" from a hash of (seed, group): the same group always lands in the same split."""
    u = _unit_hash(group, seed)
    return "test" if u < test_fraction else "val" if u < test_fraction + val_fraction else "train"


def fold_for_group(group: str, folds: int, seed: int = 0) -> int:
    """0..folds-1 from the same hash as the splits: a group never straddles two cross-validation folds."""
    return min(int(_unit_hash(group, seed) * folds), folds - 1)


def _unit_hash(group: str, seed: int) -> float:
    """A number in [0, 1) fixed by (seed, group), the same on every machine and Python version."""
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def find_duplicates(samples: list[Sample], evaluated: tuple[str, ...] = ("val", "test")) -> tuple[
        list[Sample], DuplicateReport]:
    """Hash every file; a copy in an evaluated split of a file seen in another split is dropped."""
    report = DuplicateReport()
    first_seen: dict[str, Sample] = {}
    priority = {"train": 0, "val": 1, "test": 2}
    kept = []
    for sample in sorted(samples, key=lambda s: priority.get(s.split, 3)):
        digest = hashlib.sha256(sample.path.read_bytes()).hexdigest()
        original = first_seen.setdefault(digest, sample)
        if original is sample:
            kept.append(sample)
            continue
        if original.label != sample.label:
            report.conflicting_labels += 1
        if original.split == sample.split:
            report.within_split += 1
            kept.append(sample)
        else:
            report.across_splits += 1
            if sample.split in evaluated:
                report.dropped.append(sample.path)
            else:
                kept.append(sample)
    return kept, report


def sample_positions(count: int, limit: int, rng: np.random.Generator) -> list[int]:
    """Positions of a random sample of at most `limit` of `count` items, in their original order: the one way
    a split is capped (`max_per_split`) or sampled for measuring."""
    return sorted(int(i) for i in rng.permutation(count)[:limit])


def cap_split(items: list, limit: int, split: str, seed: int) -> list:
    """At most `limit` of one split's items (`max_per_split`). Only the training split is drawn with the run's seed:
    validation and test items are the same for every seed, so runs of several seeds are scored on the same faces."""
    rng = np.random.default_rng(seed if split == "train" else 0)
    return [items[i] for i in sample_positions(len(items), limit, rng)]


def split_counts(samples: list[Sample]) -> dict[str, dict[str, int]]:
    counts = Counter((s.split, s.label) for s in samples)
    return {split: {"real": counts[(split, 0)], "fake": counts[(split, 1)]}
            for split in sorted({s.split for s in samples})}
