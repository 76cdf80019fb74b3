"""Video-level metrics: aggregations of per-frame scores and temporal models, side by side, per method.

Every number comes from `evaluation.metrics.binary_metrics`, the project's one metrics function.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from facetrust.evaluation.metrics import binary_metrics
from facetrust.evaluation.plots import save_roc_overlay
from facetrust.video.features import TrackSequence
from facetrust.video.identities import VideoSample


def aggregate_scores(frame_p: list[np.ndarray], tracks: list[TrackSequence]) -> dict[str, np.ndarray]:
    """Untrained video scores: mean and max of the per-frame P(fake) over the track; with expressions, the
    mean frame-to-frame change of the expression probabilities (does a fake face's expression flicker?)."""
    scores = {"mean_of_frames": np.array([p.mean() for p in frame_p]),
              "max_of_frames": np.array([p.max() for p in frame_p])}
    if tracks and all(t.emotions is not None for t in tracks):
        scores["expression_change"] = np.array([
            float(np.abs(np.diff(t.emotions, axis=0)).sum(1).mean()) if len(t) > 1 else 0.0 for t in tracks])
    return scores


RANKING_ONLY = {"expression_change"}  # not a probability: its AUC is what to read, not its accuracy


def aggregate_thresholds(scores: dict[str, np.ndarray], image_threshold: float) -> dict[str, float]:
    """The image model's threshold for aggregates of its P(fake); 0.5 (arbitrary) for ranking-only scores."""
    return {name: 0.5 if name in RANKING_ONLY else image_threshold for name in scores}


def _summary(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    metrics = binary_metrics(labels, scores, threshold)
    return {"video_auc": metrics["roc_auc"], "ap": metrics["ap"], "accuracy": metrics["accuracy"],
            "eer": metrics["eer"], "precision": metrics["precision"], "recall": metrics["recall"],
            "f1": metrics["f1"], "fpr": metrics["fpr"], "ece": metrics["ece"], "confusion": metrics["confusion"],
            "threshold": threshold, "n_real": metrics["n_real"], "n_fake": metrics["n_fake"]}


def video_report(samples: list[VideoSample], scores: dict[str, np.ndarray], thresholds: dict[str, float],
                 frame_p: list[np.ndarray], frame_threshold: float) -> dict:
    """Per aggregation: metrics on every video, per manipulation method (that method's fakes against all
    real videos), and against only the real videos of people who also appear in a fake (`same_people`:
    a check that the score does not just tell apart two sources of real footage)."""
    labels = np.array([s.label for s in samples])
    methods = sorted({s.method for s in samples if s.label == 1})
    faked = {i for s in samples if s.label == 1 for i in s.identities}
    same_people = np.array([s.label == 1 or bool(faked & set(s.identities)) for s in samples])
    aggregations = {}
    for name, score in scores.items():
        block = _summary(labels, score, thresholds[name])
        block["per_method"] = {}
        for method in methods:
            rows = np.array([s.label == 0 or s.method == method for s in samples])
            block["per_method"][method] = _summary(labels[rows], score[rows], thresholds[name])
        block["same_people"] = _summary(labels[same_people], score[same_people], thresholds[name])
        aggregations[name] = block
    frame_labels = np.concatenate([np.full(len(p), s.label) for s, p in zip(samples, frame_p, strict=True)])
    frame = binary_metrics(frame_labels, np.concatenate(frame_p), frame_threshold)
    return {"aggregations": aggregations, "frame_auc": frame["roc_auc"], "frame_accuracy": frame["accuracy"],
            "n_frames": len(frame_labels), "n_real": int((labels == 0).sum()), "n_fake": int(labels.sum()),
            "videos": [{"video": s.path.name, "label": s.label, "method": s.method,
                        **{name: round(float(score[k]), 6) for name, score in scores.items()}}  # sure heads near 0, 1
                       for k, s in enumerate(samples)]}


def write_report(out: Path, report: dict, labels: np.ndarray, scores: dict[str, np.ndarray]) -> None:
    """report.json, report.md (one row per aggregation, then per method) and roc.png."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out / "report.md").write_text(report_markdown(report), encoding="utf-8")
    save_roc_overlay(out / "roc.png", {name: (labels, s) for name, s in scores.items()},
                     f"video-level ROC ({report['n_real']} real, {report['n_fake']} fake videos)")


def report_markdown(report: dict) -> str:
    def cell(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    aggregations = report["aggregations"]
    methods = sorted(next(iter(aggregations.values()))["per_method"])
    lines = ["| aggregation | video ROC-AUC | AP | accuracy | EER | same-people AUC | "
             + " | ".join(f"{m} AUC" for m in methods) + " |",
             "|---" * (6 + len(methods)) + "|"]
    for name, block in aggregations.items():
        label = f"{name} (ranking only)" if name in RANKING_ONLY else name
        lines.append(f"| {label} | {cell(block['video_auc'])} | {cell(block['ap'])} | {cell(block['accuracy'])} | "
                     f"{cell(block['eer'])} | {cell(block['same_people']['video_auc'])} | "
                     + " | ".join(cell(block["per_method"][m]["video_auc"]) for m in methods) + " |")
    lines.append(f"\nFrame-level ROC-AUC of the image model: {cell(report['frame_auc'])} "
                 f"({report['n_frames']} frames); {report['n_real']} real and {report['n_fake']} fake videos.")
    return "\n".join(lines) + "\n"
