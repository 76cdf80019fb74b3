"""`facetrust emotion study`: expression models x labelled datasets in one run, one table, confusions side by side.

This is the real-vs-AI-faces study of the reference reports as one command (FER-2013 private test and
CK+ as real faces, Stable Diffusion faces as AI ones), and the way to compare two models on the same
files in the same run (a new model against fer's mini-Xception). A dataset is a path, optionally
followed by `:detect` (find the largest face first, for photos that are not face crops), `:whole` or
`:auto`; without one the model's own framing is used (whole images for models trained on FER-2013).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

from tqdm import tqdm

from facetrust.emotion.evaluate import evaluate_emotion, write_emotion_evaluation
from facetrust.errors import FacetrustError
from facetrust.evaluation.plots import confusion_panel, save_confusion_matrices
from facetrust.faces import CropMode
from facetrust.models.checkpoint import load_model
from facetrust.studies.tables import write_table

SUMMARY = ("model", "data", "face_mode", "n", "accuracy", "macro_f1", "no_face", "not_scored")


@dataclass(frozen=True)
class StudyData:
    """A labelled dataset and how its faces are framed (None: as the model was trained)."""

    path: Path
    face_mode: CropMode | None = None

    @classmethod
    def parse(cls, text: str) -> StudyData:
        path, sep, mode = text.rpartition(":")
        if not sep or mode not in get_args(CropMode):
            path, mode = text, None
        data = cls(Path(path), mode)  # type: ignore[arg-type]
        if not data.path.exists():
            raise FacetrustError(f"{data.path}: no such dataset folder or file")
        return data

    @property
    def name(self) -> str:
        return self.path.stem if self.path.is_file() else self.path.name


def run_study(models: list[Path], datas: list[StudyData], out: Path, progress: bool = True) -> list[dict]:
    """Evaluate every model on every dataset; writes per-cell metrics.json + confusion.png under
    `out/<model>/<data>/`, `confusions-<model>.png` (one panel per dataset) and study.{md,csv,json}."""
    names = [d.name for d in datas]
    if len(set(names)) != len(names):
        raise FacetrustError(f"datasets must have different folder names (they name the results): {names}")
    out.mkdir(parents=True, exist_ok=True)
    rows, seen = [], set()
    for folder in models:
        model = load_model(folder)
        if model.name in seen:
            raise FacetrustError(f"{folder}: a second model named {model.name!r} (the name labels its results)")
        seen.add(model.name)
        panels = []
        for data in datas:
            if progress:
                tqdm.write(f"{model.name} on {data.path}")
            evaluation = evaluate_emotion(model, data.path, data.face_mode, progress=progress)
            title = f"{model.name} on {data.name}"
            write_emotion_evaluation(evaluation, out / model.name / data.name, title)
            panels.append(confusion_panel(evaluation.metrics, f"{model.name}\n{data.name}"))
            rows.append(_row(model.name, data.name, evaluation.metrics))
        save_confusion_matrices(out / f"confusions-{model.name}.png", panels)
    recalls = tuple(dict.fromkeys(k for row in rows for k in row if k.startswith("recall_")))
    write_table(rows, out / "study", SUMMARY + recalls)
    (out / "study.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return rows


def _row(model: str, data: str, metrics: dict) -> dict:
    row = {"model": model, "data": data, "face_mode": metrics["face_mode"], "n": metrics["n"],
           "accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"], "no_face": metrics["no_face"],
           "not_scored": sum(metrics["not_scored"].values())}
    return row | {f"recall_{name}": cell["recall"] for name, cell in metrics["per_class"].items()}
