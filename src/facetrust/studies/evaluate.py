"""Evaluating a trained detector on a labelled folder or manifest, with the model's own crop settings."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facetrust.data.datasets import discover, find_duplicates
from facetrust.data.face_crops import CropCache, crop_samples
from facetrust.embeddings import encode_crops
from facetrust.evaluation.metrics import binary_metrics
from facetrust.evaluation.plots import save_evaluation_plots
from facetrust.models.checkpoint import LoadedModel


@dataclass
class Evaluation:
    """Metrics plus the per-file scores they came from (for plots, galleries and reports)."""

    metrics: dict
    labels: np.ndarray
    p_fake: np.ndarray
    paths: list[str]
    skipped: list[tuple[str, str]]


def evaluate_model(model: LoadedModel, data: str | Path, threshold: float | None = None,
                   progress: bool = True, crop_cache: Path | None = None) -> Evaluation:
    """Score every labelled image under `data`; files without a readable face are counted as skipped.
    `crop_cache` keeps the face crops elsewhere than the shared cache (for throw-away data)."""
    samples, duplicates = find_duplicates(discover(data), evaluated=("val", "test", ""))
    finder = model.face_finder(all_faces=False)
    crops = crop_samples(samples, finder, "faces", progress, CropCache(finder, crop_cache) if crop_cache else None)
    encodings = encode_crops(crops.crops, progress=progress) if model.needs_encodings else None  # cached
    p_fake = model.p_fake(crops.crops, encodings)
    metrics = binary_metrics(crops.labels, p_fake, model.card.threshold if threshold is None else threshold)
    metrics |= {"skipped": len(crops.skipped), "duplicates": duplicates.summary(),
                "model": {"name": model.name, "version": model.version}}
    return Evaluation(metrics, crops.labels, p_fake, [str(s.path) for s in crops.samples], crops.skipped)


def write_evaluation(evaluation: Evaluation, out: Path, title: str) -> list[Path]:
    """metrics.json, scores.csv and the ROC / PR / confusion / histogram pictures."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(evaluation.metrics, indent=2), encoding="utf-8")
    with open(out / "scores.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label", "p_fake"])
        writer.writerows(zip(evaluation.paths, evaluation.labels.tolist(), np.round(evaluation.p_fake, 5).tolist(),
                             strict=True))
    return [out / "metrics.json", out / "scores.csv",
            *save_evaluation_plots(out, evaluation.labels, evaluation.p_fake, evaluation.metrics, title)]
