"""`facetrust report`: the evidence a reviewer asks for, as one HTML page with pictures and one JSON.

Every metric comes from `evaluation.metrics.binary_metrics` through `evaluation.evaluate.evaluate_model`
(robustness: on degraded copies written to disk and evaluated like any folder, so `evaluate` on the same
copies gives the same numbers) or on subsets of its per-image scores (per-group slices).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

import facetrust
from facetrust.bundled import default_model_path
from facetrust.data.datasets import Sample, discover
from facetrust.data.face_crops import CropCache, crop_samples
from facetrust.data.layout import distinct_names
from facetrust.evaluation.metrics import binary_metrics, expected_calibration_error
from facetrust.evaluation.plots import save_pr_overlay, save_roc_overlay
from facetrust.explain import face_heatmaps, overlay
from facetrust.models.checkpoint import LoadedModel, load_model
from facetrust.provenance import read_provenance
from facetrust.report.attributes import FaceAttributes, user_groups
from facetrust.report.degrade import DEGRADATIONS, degrade_samples
from facetrust.report.embedding import embedding_map
from facetrust.report.html import render_html
from facetrust.report.plots import save_reliability, save_robustness
from facetrust.studies.evaluate import Evaluation, evaluate_model

MIN_GROUP = 30  # fewer faces than this (or fewer than 5 of a class for AUC) is too small to judge


@dataclass
class ReportConfig:
    """What a report covers (saved in report.json)."""

    data: list[str]
    out: str
    model: str | None = None  # default: the bundled detector
    attributes: str | None = None  # a user CSV: path/file + attribute columns
    degradations: tuple[str, ...] = tuple(DEGRADATIONS)
    seed: int = 0
    gallery: int = 8  # worst false positives and false negatives shown
    explained: int = 4  # Grad-CAM examples per class
    embedding_map: bool = True
    keep_degraded: bool = False  # keep the degraded copies in out/degraded/ (to re-evaluate them)
    strengths: dict[str, list[float]] = field(default_factory=dict)  # override a degradation's strengths


def build_report(config: ReportConfig, progress: bool = True) -> dict:
    """Evaluate, degrade, slice, explain and map; write report.json, index.html and img/*.png."""
    out = Path(config.out)
    images = out / "img"
    images.mkdir(parents=True, exist_ok=True)
    model = load_model(config.model or default_model_path())
    evaluations = {name: evaluate_model(model, data, progress=progress)
                   for name, data in zip(distinct_names(config.data), config.data, strict=True)}
    primary_name, primary = next(iter(evaluations.items()))
    report: dict = {"model": {"name": model.name, "version": model.version, "architecture": model.card.architecture,
                              "threshold": model.card.threshold, "temperature": model.card.temperature},
                    "config": asdict(config), "code_version": facetrust.__version__,
                    "date": datetime.now(UTC).isoformat(timespec="seconds"), "primary": primary_name,
                    "datasets": {name: _public(e.metrics) for name, e in evaluations.items()}}
    curves = {name: (e.labels, e.p_fake) for name, e in evaluations.items()}
    save_roc_overlay(images / "roc.png", curves, "ROC per dataset")
    save_pr_overlay(images / "pr.png", curves, "precision-recall per dataset")
    report["calibration"] = _calibration(model, primary, images)
    report["robustness"] = _robustness(model, config, out, progress)
    save_robustness(images / "robustness.png", report["robustness"], report["datasets"][primary_name])
    report["groups"] = _groups(model, config, primary, progress)
    report["provenance"] = provenance_counts(primary)
    crops = evaluated_crops(model, primary)
    report["gallery"] = _gallery(primary, crops, config.gallery, images)
    report["explained"] = _explained(model, primary, crops, config, images)
    if config.embedding_map:
        clusters = embedding_map(model, primary, crops, config.seed, images / "map.png", primary_name)
        report["embedding_map"] = {"image": "img/map.png", "clusters": clusters}
    (out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out / "index.html").write_text(render_html(report), encoding="utf-8")
    return report


def provenance_counts(evaluation: Evaluation) -> dict[str, dict[str, int]]:
    """How many evaluated files of each class declare what origin (`facetrust.provenance` finding; files whose
    metadata could not be read count as "unreadable"): whether a set's fakes say what they are."""
    counts: dict[str, dict[str, int]] = {"real": {}, "fake": {}}
    for path, label in zip(evaluation.paths, evaluation.labels, strict=True):
        found = read_provenance(Path(path).read_bytes())
        finding = "unreadable" if found.errors else found.finding
        of_class = counts["fake" if label else "real"]
        of_class[finding] = of_class.get(finding, 0) + 1
    return counts


def _public(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k != "model"}


def _calibration(model: LoadedModel, evaluation: Evaluation, images: Path) -> dict:
    """ECE and reliability with and without the model's temperature (the logit is recovered from P(fake))."""
    temperature = model.card.temperature
    p = np.clip(evaluation.p_fake, 1e-7, 1 - 1e-7)
    logits = temperature * np.log(p / (1 - p))
    before = 1 / (1 + np.exp(-logits))
    ece = (expected_calibration_error(evaluation.labels, before), expected_calibration_error(evaluation.labels, p))
    save_reliability(images / "calibration.png", evaluation.labels, before, p, ece, temperature)
    return {"temperature": temperature, "ece_before": ece[0], "ece_after": ece[1]}


def _robustness(model: LoadedModel, config: ReportConfig, out: Path, progress: bool) -> dict:
    samples = discover(config.data[0])
    scratch = Path(tempfile.mkdtemp(prefix="facetrust-degraded-"))
    result = {}
    try:
        for degradation_name in config.degradations:
            degradation = DEGRADATIONS[degradation_name]
            strengths = tuple(config.strengths.get(degradation_name, degradation.strengths))
            points = []
            for strength in strengths:
                folder = (out / "degraded" if config.keep_degraded else scratch) / f"{degradation_name}-{strength:g}"
                degrade_samples(samples, degradation, strength, config.seed, folder, progress)
                evaluation = evaluate_model(model, folder, progress=progress, crop_cache=scratch / "crops")
                points.append({"strength": strength, "metrics": _public(evaluation.metrics),
                               "data": str(folder) if config.keep_degraded else None})
            result[degradation_name] = {"unit": degradation.unit, "strengths": list(strengths), "points": points}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result


def _groups(model: LoadedModel, config: ReportConfig, evaluation: Evaluation, progress: bool) -> dict:
    """Accuracy, FPR, FNR, AUC per group of each attribute; small groups are marked, not judged."""
    columns = FaceAttributes(model).groups(evaluation.paths, progress)
    if config.attributes:
        columns |= user_groups(Path(config.attributes), evaluation.paths)
    threshold = evaluation.metrics["threshold"]
    result = {}
    for attribute, values in columns.items():
        rows = {}
        for group in sorted(set(values)):
            chosen = np.array([v == group for v in values])
            metrics = binary_metrics(evaluation.labels[chosen], evaluation.p_fake[chosen], threshold)
            small = (chosen.sum() < MIN_GROUP or min(metrics["n_real"], metrics["n_fake"]) < 5)
            rows[group] = {k: metrics[k] for k in ("n", "n_real", "n_fake", "accuracy", "fpr", "fnr", "roc_auc")}
            rows[group]["too_small"] = bool(small)
            rows[group]["paths"] = [p for p, c in zip(evaluation.paths, chosen, strict=True) if c]
        result[attribute] = rows
    return result


def evaluated_crops(model: LoadedModel, evaluation: Evaluation) -> list[np.ndarray]:
    """The evaluated crops again (from the crop cache), in the evaluation's order."""
    samples = [Sample(Path(p), int(label)) for p, label in zip(evaluation.paths, evaluation.labels, strict=True)]
    finder = model.face_finder(all_faces=False)
    return crop_samples(samples, finder, progress=False, cache=CropCache(finder)).crops


def _thumbnail(path: Path, crop: np.ndarray, size: int = 160) -> str:
    cv2.imwrite(str(path), cv2.cvtColor(cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA),
                                        cv2.COLOR_RGB2BGR))
    return f"img/{path.name}"


def _gallery(evaluation: Evaluation, crops: list[np.ndarray], count: int, images: Path) -> dict:
    """The real faces scored most fake (false alarms) and the fakes scored most real (misses)."""
    threshold = evaluation.metrics["threshold"]
    order = np.argsort(evaluation.p_fake)
    false_positives = [i for i in order[::-1] if evaluation.labels[i] == 0 and evaluation.p_fake[i] >= threshold]
    false_negatives = [i for i in order if evaluation.labels[i] == 1 and evaluation.p_fake[i] < threshold]
    return {kind: [{"path": evaluation.paths[i], "p_fake": float(evaluation.p_fake[i]),
                    "image": _thumbnail(images / f"{kind}-{n}.png", crops[i])} for n, i in enumerate(chosen[:count])]
            for kind, chosen in (("false_positives", false_positives), ("false_negatives", false_negatives))}


def _explained(model: LoadedModel, evaluation: Evaluation, crops: list[np.ndarray], config: ReportConfig,
               images: Path) -> list[dict]:
    """Grad-CAM overlays for a seeded sample of each class."""
    rng = np.random.default_rng(config.seed)
    chosen = [int(i) for label in (0, 1) for i in rng.permutation(np.flatnonzero(evaluation.labels == label))
              [:config.explained]]
    maps = face_heatmaps(model, [crops[i] for i in chosen]) if chosen else []
    return [{"path": evaluation.paths[i], "label": "fake" if evaluation.labels[i] else "real",
             "p_fake": float(evaluation.p_fake[i]),
             "image": _thumbnail(images / f"gradcam-{n}.png", overlay(crops[i], heat), 224)}
            for n, (i, heat) in enumerate(zip(chosen, maps, strict=True))]
