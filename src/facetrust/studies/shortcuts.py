"""Shortcut probes: how well real and fake can be told apart without looking at the face.

For each data set a small classifier sees only format features (file size, JPEG quantisation, native
resolution and face-to-crop ratio from the data's manifest, sharpness, colour statistics). Where its
ROC-AUC is high, a detector's score on that set may measure those cues rather than forgery, and every
detector number for the set is printed beside it. A set with both classes is probed within itself; a
one-class set against the opposite class of every other set (the comparison a mixed-set model can exploit).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from tqdm import tqdm

from facetrust.data.datasets import Sample, discover
from facetrust.data.sources import source_samples
from facetrust.evaluation.metrics import binary_metrics

FEATURES = ("file_kb", "jpeg_q_luma", "native_px", "upscale", "face_share", "sharpness", "mean_r", "mean_g",
            "mean_b", "std_r", "std_g", "std_b", "saturation")


@dataclass(frozen=True)
class ProbeResult:
    """One set's probe: ROC-AUC on its validation and test splits (None where a split lacks a class)."""

    source: str
    compared_with: str
    val_auc: float | None
    test_auc: float | None
    n_train: int

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def manifest_notes(manifest: Path) -> dict[str, dict[str, str]]:
    """The `note` column of the shared data's MANIFEST.tsv as key=value dicts, by path relative to its folder."""
    if not manifest.is_file():
        return {}
    with open(manifest, newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {row["path"]: dict(part.split("=", 1) for part in (row.get("note") or "").split(";") if "=" in part)
                for row in rows}


def format_features(path: Path, note: dict[str, str]) -> np.ndarray:
    """The format-only features of one file (see FEATURES); manifest values fall back to the file's own."""
    data = path.read_bytes()
    image = Image.open(io.BytesIO(data))
    tables = getattr(image, "quantization", None) or {}
    luma_q = float(np.mean(tables[0])) if 0 in tables else 0.0
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    native = note.get("native", f"{image.width}x{image.height}").split()[0]
    width, height = (int(v) for v in native.split("x"))
    crop = float(note.get("crop", "0px").rstrip("px") or 0) or float(max(image.size))
    face = float(note.get("face", "0px").rstrip("px") or 0) or crop
    grey = cv2.cvtColor(rgb.astype(np.uint8), cv2.COLOR_RGB2GRAY)
    hsv = cv2.cvtColor(rgb.astype(np.uint8), cv2.COLOR_RGB2HSV)
    return np.array([len(data) / 1024, luma_q, max(width, height), max(image.size) / crop, face / crop,
                     float(cv2.Laplacian(grey, cv2.CV_64F).var()), *rgb.mean(axis=(0, 1)), *rgb.std(axis=(0, 1)),
                     float(hsv[..., 1].mean())], dtype=np.float64)


def probe_sources(root: Path, sources: dict[str, str], progress: bool = True, seed: int = 0) -> list[ProbeResult]:
    """One probe per source, trained on train splits and scored on val and test."""
    samples = source_samples(root, sources)
    notes = manifest_notes(root.parent / "MANIFEST.tsv")
    prefix = root.name
    features = np.stack([format_features(s.path, notes.get(f"{prefix}/{s.path.relative_to(root).as_posix()}", {}))
                         for s in tqdm(samples, desc="format features", unit="file", disable=not progress)])
    return [_probe(name, samples, features, seed) for name in sources]


def probe_folder(name: str, folder: Path, seed: int = 0) -> ProbeResult:
    """A probe for an evaluation-only set (real/ and fake/, no splits): 5-fold cross-validated ROC-AUC, reported
    as its test figure. Files in a subfolder of a class folder (the frames `facetrust crop` cuts from one
    video) stay in one fold, so the probe cannot recognise a video instead of a class."""
    samples = discover(folder)
    groups = [s.path.relative_to(folder).parent.as_posix() if len(s.path.relative_to(folder).parts) > 2
              else s.group for s in samples]
    features = np.stack([format_features(s.path, {}) for s in samples])
    labels = np.array([s.label for s in samples])
    folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    model = RandomForestClassifier(n_estimators=300, min_samples_leaf=2, random_state=seed, n_jobs=1)
    p_fake = cross_val_predict(model, features, labels, groups=groups, cv=folds,
                               method="predict_proba")[:, 1]
    return ProbeResult(name, "its own other class (5-fold cross-validation)", None,
                       binary_metrics(labels, p_fake)["roc_auc"], len(samples))


def _probe(name: str, samples: list[Sample], features: np.ndarray, seed: int) -> ProbeResult:
    own = np.array([s.source == name for s in samples])
    labels = np.array([s.label for s in samples])
    own_classes = set(labels[own].tolist())
    if len(own_classes) == 2:
        chosen, compared = own, "its own other class"
    else:
        (only,) = own_classes
        chosen = own | (~own & (labels != only))
        compared = f"the {'fake' if only == 0 else 'real'} faces of the other sets"
    split = np.array([s.split for s in samples])
    train = chosen & (split == "train")
    model = RandomForestClassifier(n_estimators=300, min_samples_leaf=2, random_state=seed, n_jobs=1)
    model.fit(features[train], labels[train])
    aucs = {}
    for part in ("val", "test"):
        rows = chosen & (split == part)
        aucs[part] = (binary_metrics(labels[rows], model.predict_proba(features[rows])[:, 1])["roc_auc"]
                      if rows.any() else None)
    return ProbeResult(name, compared, aucs["val"], aucs["test"], int(train.sum()))


def markdown_table(results: list[ProbeResult]) -> str:
    lines = ["| set | compared with | train files | probe val ROC-AUC | probe test ROC-AUC |",
             "|---|---|---:|---:|---:|"]
    for r in results:
        cells = ["-" if v is None else f"{v:.3f}" for v in (r.val_auc, r.test_auc)]
        lines.append(f"| {r.source} | {r.compared_with} | {r.n_train} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)
