"""Expression datasets: `<label>/` folders (optionally under split folders) or the FER-2013 CSV, cleaned.

FER-2013 is known to hold exact duplicates inside and across splits (some with different labels) and a
few blank frames; CK+ has several frames per subject, an extra `contempt` class and no `neutral`.
`clean` finds all of that by decoded pixels and says what it did: a copy of a training image is dropped
from an evaluated split, copies that disagree on the label inside one split are all dropped (no one can
say which label is right), blank frames are dropped.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import cv2
import numpy as np

from facetrust.data.layout import split_of
from facetrust.emotion.labels import EMOTIONS, EXTRA_EMOTIONS
from facetrust.errors import FacetrustError
from facetrust.media.files import media_files

FER_USAGE = {"training": "train", "publictest": "public_test", "privatetest": "private_test"}
EVALUATED = ("public_test", "private_test", "val", "test", "")
BLANK_STD = 2.0  # grey-level standard deviation below which a frame holds no face (FER-2013 has a few)
_SUBJECT = re.compile(r"^(S\d{3})_")  # CK+ file names start with the subject id


@dataclass(frozen=True)
class EmotionSample:
    """One labelled face: a file, or a FER-2013 CSV row carrying its 48x48 pixels."""

    source: str
    label: str
    split: str = ""
    subject: str = ""  # the person, where known (CK+), so splits never separate one person's frames
    pixels: np.ndarray | None = field(default=None, compare=False, repr=False)

    def image(self) -> np.ndarray:
        """RGB uint8 (grey faces repeated over three channels)."""
        grey = self.pixels if self.pixels is not None else cv2.imread(self.source, cv2.IMREAD_GRAYSCALE)
        if grey is None:
            raise FacetrustError(f"{self.source}: not a readable image")
        return cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)


@dataclass
class CleaningReport:
    """What `clean` removed, and why."""

    duplicates_within_split: int = 0
    duplicates_across_splits: int = 0
    conflicting_labels: int = 0
    blank: int = 0
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)

    def summary(self) -> str:
        return (f"{self.duplicates_within_split} duplicate(s) within a split, {self.duplicates_across_splits} "
                f"across splits, {self.conflicting_labels} with conflicting labels, {self.blank} blank; "
                f"{len(self.dropped)} dropped")


def discover_emotions(root: str | Path) -> list[EmotionSample]:
    """Samples from `<label>/` folders (with optional split folders above them) or a FER-2013 CSV."""
    root = Path(root)
    if root.is_file():
        return read_fer_csv(root)
    if not root.is_dir():
        raise FacetrustError(f"{root}: no such folder or CSV file")
    known = set(EMOTIONS) | set(EXTRA_EMOTIONS)
    samples = []
    for path in media_files(root):
        relative = PurePath(path.relative_to(root).as_posix())
        label = relative.parts[-2].lower() if len(relative.parts) > 1 else ""
        if label in known:
            subject = _SUBJECT.match(path.name)
            samples.append(EmotionSample(str(path), label, split_of(relative),
                                         subject.group(1) if subject else path.stem))
    if not samples:
        raise FacetrustError(f"{root}: found no images in folders named after an expression "
                             f"({', '.join(sorted(known))})")
    return samples


def read_fer_csv(path: Path) -> list[EmotionSample]:
    """The original FER-2013 CSV: columns emotion (0-6), pixels (2304 grey values), Usage."""
    samples = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"emotion", "pixels"} <= set(reader.fieldnames):
            raise FacetrustError(f"{path}: a FER-2013 CSV needs the columns emotion and pixels (and Usage)")
        for number, row in enumerate(reader, start=2):
            where = f"{path}, line {number}"
            values = row["pixels"].split()
            if len(values) != 48 * 48 or not row["emotion"].strip().isdigit() or int(row["emotion"]) >= len(EMOTIONS):
                raise FacetrustError(f"{where}: expected an emotion 0-6 and 2304 pixel values")
            split = FER_USAGE.get((row.get("Usage") or "").strip().lower(), "")
            pixels = np.array(values, dtype=np.uint8).reshape(48, 48)
            samples.append(EmotionSample(where, EMOTIONS[int(row["emotion"])], split, f"row{number}", pixels))
    return samples


def clean(samples: list[EmotionSample]) -> tuple[list[EmotionSample], CleaningReport]:
    """Drop blank frames, copies of training images in evaluated splits, extra copies inside a split, and
    every copy of an image whose copies disagree on the label within its split."""
    report = CleaningReport()
    groups: dict[str, list[EmotionSample]] = {}
    for sample in samples:
        grey = cv2.cvtColor(sample.image(), cv2.COLOR_RGB2GRAY)
        if float(grey.std()) < BLANK_STD:
            report.blank += 1
            report.dropped.append((sample.source, "blank frame"))
            continue
        groups.setdefault(hashlib.sha256(grey.tobytes()).hexdigest(), []).append(sample)
    kept = []
    for copies in groups.values():
        kept += _resolve(copies, report)
    order = {s.source: i for i, s in enumerate(samples)}
    return sorted(kept, key=lambda s: order[s.source]), report


def _resolve(copies: list[EmotionSample], report: CleaningReport) -> list[EmotionSample]:
    """The copies of one image that stay: one per split, none where a split's copies disagree, and none in an
    evaluated split when training has it."""
    if len(copies) == 1:
        return copies
    if len({c.label for c in copies}) > 1:
        report.conflicting_labels += 1
    by_split: dict[str, list[EmotionSample]] = {}
    for copy in copies:
        by_split.setdefault(copy.split, []).append(copy)
    kept = []
    for split, members in by_split.items():
        report.duplicates_within_split += len(members) - 1
        if len({m.label for m in members}) > 1:
            report.dropped += [(m.source, "copies in one split disagree on the label") for m in members]
            continue
        report.dropped += [(m.source, "duplicate within its split") for m in members[1:]]
        if split in EVALUATED and "train" in by_split:
            report.duplicates_across_splits += 1
            report.dropped.append((members[0].source, "also in the training split"))
            continue
        kept.append(members[0])
    return kept
