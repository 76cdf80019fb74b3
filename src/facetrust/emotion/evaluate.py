"""Evaluating an expression model on a labelled folder: whole images (face crops) or detected faces."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import softmax
from tqdm import tqdm

from facetrust.emotion.data import EmotionSample, clean, discover_emotions
from facetrust.errors import FacetrustError
from facetrust.evaluation.multiclass import multiclass_metrics
from facetrust.evaluation.plots import confusion_panel, save_confusion_matrix
from facetrust.faces import CropMode
from facetrust.models.checkpoint import LoadedModel


@dataclass
class EmotionEvaluation:
    metrics: dict
    probabilities: np.ndarray
    samples: list[EmotionSample]


def evaluate_emotion(model: LoadedModel, data: str | Path, face_mode: CropMode | None = None,
                     progress: bool = True) -> EmotionEvaluation:
    """Accuracy, macro-F1, per-class table and confusion over the expressions the model knows.

    Images whose label the model cannot say (CK+'s contempt) are counted under `not_scored`; with
    `face_mode` "detect" or "auto" the largest face is found first and images without one are counted
    under `no_face`.
    """
    if model.card.task != "emotion":
        raise FacetrustError(f"{model.name} is not an expression model (its card has no task 'emotion')")
    classes = model.card.classes
    samples, report = clean(discover_emotions(data))
    not_scored = Counter(s.label for s in samples if s.label not in classes)
    samples = [s for s in samples if s.label in classes]
    finder = model.face_finder(all_faces=False, mode=face_mode)
    crops, kept, no_face = [], [], 0
    for sample in tqdm(samples, desc="faces", unit="img", disable=not progress):
        image = sample.image()
        found = [image] if finder.mode == "whole" else [f.crop for f in finder.find(image)]
        if found:
            crops.append(found[0])
            kept.append(sample)
        else:
            no_face += 1
    labels = np.array([classes.index(s.label) for s in kept], dtype=int)
    probabilities = softmax(model.logits(crops) / model.card.temperature, axis=1) if crops else np.zeros(
        (0, len(classes)))
    metrics = multiclass_metrics(labels, probabilities, classes)
    metrics |= {"not_scored": dict(not_scored), "no_face": no_face, "cleaning": report.summary(),
                "face_mode": finder.mode, "model": {"name": model.name, "version": model.version}}
    if len(metrics["classes_evaluated"]) < len(classes):
        missing = [c for c in classes if c not in metrics["classes_evaluated"]]
        metrics["note"] = f"evaluated over the classes present; none of: {', '.join(missing)}"
    return EmotionEvaluation(metrics, probabilities, kept)


def write_emotion_evaluation(evaluation: EmotionEvaluation, out: Path, title: str) -> list[Path]:
    """metrics.json and confusion.png."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(evaluation.metrics, indent=2), encoding="utf-8")
    picture = save_confusion_matrix(out / "confusion.png", *confusion_panel(evaluation.metrics, title))
    return [out / "metrics.json", picture]
