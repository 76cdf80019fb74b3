"""`facetrust emotion study`: expression models x labelled datasets in one run, one table, confusions side by side.

This is the real-vs-AI-faces study of the reference reports as one command (FER-2013 private test and
CK+ as real faces, Stable Diffusion faces as AI ones), and the way to compare two models on the same
files in the same run (a new model against fer's mini-Xception). A dataset is a path, optionally
followed by `:detect` (find the largest face first, for photos that are not face crops), `:whole` or
`:auto`; without one the model's own framing is used (whole images for models trained on FER-2013).

The headline is the real-vs-AI gap: accuracy on an AI-generated set minus accuracy on a real set's faces of
the same classes (the AI sets hold only some expressions, and classes differ in difficulty, so comparing whole-set
accuracies would mix the two). `balanced_gap` is the same over the mean of the classes' recalls, so a class that
is more common in one set than in the other does not weigh more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

from tqdm import tqdm

from facetrust.emotion.evaluate import EmotionEvaluation, evaluate_emotion, write_emotion_evaluation
from facetrust.errors import FacetrustError
from facetrust.evaluation.plots import confusion_panel, save_confusion_matrices, save_grouped_bars
from facetrust.faces import CropMode
from facetrust.models.checkpoint import load_model
from facetrust.studies.tables import write_table

SUMMARY = ("model", "data", "face_mode", "n", "accuracy", "macro_f1", "no_face", "not_scored")
GAP_COLUMNS = ("model", "ai_data", "real_data", "classes", "n_ai", "accuracy_ai", "n_real", "accuracy_real", "gap",
               "balanced_gap")


@dataclass(frozen=True)
class StudyData:
    """A labelled dataset and how its faces are framed (None: as the model was trained)."""

    path: Path
    face_mode: CropMode | None = None
    generated: bool = False  # AI-generated faces, measured against the real sets by the gap

    @classmethod
    def parse(cls, text: str, generated: bool = False) -> StudyData:
        path, sep, mode = text.rpartition(":")
        if not sep or mode not in get_args(CropMode):
            path, mode = text, None
        data = cls(Path(path), mode, generated)  # type: ignore[arg-type]
        if not data.path.exists():
            raise FacetrustError(f"{data.path}: no such dataset folder or file")
        return data

    @property
    def name(self) -> str:
        return self.path.stem if self.path.is_file() else self.path.name


def run_study(models: list[Path], datas: list[StudyData], out: Path, progress: bool = True) -> list[dict]:
    """Evaluate every model on every dataset; writes per-cell metrics.json + confusion.png under
    `out/<model>/<data>/`, `confusions-<model>.png` (one panel per dataset) and study.{md,csv,json}; with real and
    AI-generated sets also gap.{md,csv,json} and `gap-<model>.png` (each class's recall on every set)."""
    names = [d.name for d in datas]
    if len(set(names)) != len(names):
        raise FacetrustError(f"datasets must have different folder names (they name the results): {names}")
    out.mkdir(parents=True, exist_ok=True)
    rows, gaps, seen = [], [], set()
    for folder in models:
        model = load_model(folder)
        if model.name in seen:
            raise FacetrustError(f"{folder}: a second model named {model.name!r} (the name labels its results)")
        seen.add(model.name)
        panels, evaluations = [], {}
        for data in datas:
            if progress:
                tqdm.write(f"{model.name} on {data.path}")
            evaluation = evaluate_emotion(model, data.path, data.face_mode, progress=progress)
            title = f"{model.name} on {data.name}"
            write_emotion_evaluation(evaluation, out / model.name / data.name, title)
            panels.append(confusion_panel(evaluation.metrics, f"{model.name}\n{data.name}"))
            rows.append(_row(model.name, data.name, evaluation.metrics))
            evaluations[data] = evaluation
        save_confusion_matrices(out / f"confusions-{model.name}.png", panels)
        gaps += _gaps(model.name, evaluations, out)
    recalls = tuple(dict.fromkeys(k for row in rows for k in row if k.startswith("recall_")))
    write_table(rows, out / "study", SUMMARY + recalls)
    (out / "study.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    if gaps:
        write_table(gaps, out / "gap", GAP_COLUMNS)
        (out / "gap.json").write_text(json.dumps(gaps, indent=2), encoding="utf-8")
    return rows


def _gaps(model: str, evaluations: dict[StudyData, EmotionEvaluation], out: Path) -> list[dict]:
    """For each AI set against each real set: both accuracies over the AI set's classes and their difference;
    and the picture of every set's recall on those classes."""
    generated = [data for data in evaluations if data.generated]
    real = [data for data in evaluations if not data.generated]
    if not generated or not real:
        return []
    rows = []
    for ai in generated:
        classes = sorted({sample.label for sample in evaluations[ai].samples})
        ai_hits = _hits(evaluations[ai], classes)
        for other in real:
            real_hits = _hits(evaluations[other], classes)
            rows.append({"model": model, "ai_data": ai.name, "real_data": other.name, "classes": ", ".join(classes),
                         "n_ai": len(ai_hits), "accuracy_ai": _mean(ai_hits), "n_real": len(real_hits),
                         "accuracy_real": _mean(real_hits), "gap": _difference(_mean(ai_hits), _mean(real_hits)),
                         "balanced_gap": _difference(_class_mean(evaluations[ai], classes),
                                                     _class_mean(evaluations[other], classes))})
    shown = sorted({label for ai in generated for label in (s.label for s in evaluations[ai].samples)})
    series = {f"{data.name} ({'AI' if data.generated else 'real'})":
              [_mean(_hits(evaluations[data], [label])) for label in shown] for data in evaluations}
    headline = "; ".join(f"{row['ai_data']} - {row['real_data']}: {row['gap']:+.3f}" for row in rows
                         if row["gap"] is not None)
    save_grouped_bars(out / f"gap-{model}.png", shown, series, "recall",
                      f"{model}: recall per class, real vs AI faces\ngap (AI minus real, same classes): {headline}")
    return rows


def _hits(evaluation: EmotionEvaluation, classes: list[str]) -> list[bool]:
    """Whether each face of these classes was read right."""
    predicted = evaluation.probabilities.argmax(axis=1) if len(evaluation.samples) else []
    known = evaluation.metrics["classes"]
    return [known[p] == sample.label for p, sample in zip(predicted, evaluation.samples, strict=True)
            if sample.label in classes]


def _class_mean(evaluation: EmotionEvaluation, classes: list[str]) -> float | None:
    """Mean recall over `classes`; None if any of them has no face in the set."""
    recalls = [_mean(_hits(evaluation, [label])) for label in classes]
    return None if None in recalls else float(sum(recalls)) / len(recalls)  # type: ignore[arg-type]


def _mean(hits: list[bool]) -> float | None:
    return float(sum(hits)) / len(hits) if hits else None


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _row(model: str, data: str, metrics: dict) -> dict:
    row = {"model": model, "data": data, "face_mode": metrics["face_mode"], "n": metrics["n"],
           "accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"], "no_face": metrics["no_face"],
           "not_scored": sum(metrics["not_scored"].values())}
    return row | {f"recall_{name}": cell["recall"] for name, cell in metrics["per_class"].items()}
