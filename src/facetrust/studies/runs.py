"""One training run inside a study: train it (or reuse it if finished), then summarise it as a table row.

Every run lives in its own folder under the study's `runs/`, so an interrupted study resumes run by
run (a finished run is read back, an unfinished one continues from its last epoch), and a run that
fails becomes a row saying why instead of ending the study.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

from tqdm import tqdm

from facetrust.data.face_crops import crop_samples
from facetrust.models.checkpoint import CARD_FILE, LoadedModel, load_model
from facetrust.training import TrainConfig, train
from facetrust.training.trainer import recipe_samples

METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "ap")
SUMMARY_FILE = "summary.json"
TIMING_FACES = 32  # faces timed per model for inference ms/image


def run_once(config: TrainConfig, progress: bool = True) -> tuple[Path | None, str | None]:
    """Train `config` unless its model already exists; returns (model folder, None) or (None, the error)."""
    folder = Path(config.out) / "model"
    if (folder / CARD_FILE).exists():
        return folder, None
    try:
        return train(config, progress=progress), None
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # one failed model is a row in the table, not the end of the study
        if progress:
            tqdm.write(f"{config.out} failed: {type(exc).__name__}: {exc}")
        return None, f"{type(exc).__name__}: {exc}"


def summarise(folder: Path, timing: bool = True) -> dict:
    """Metrics on the held-out split (test if the data has one, else validation; thresholds always from
    validation), validation ROC-AUC, seconds per epoch, parameter count and, with `timing`, inference ms/image.

    The row is kept as `summary.json` beside the run, tied to the model's version, so a study whose
    finished runs were archived without their weights (cards, histories, summaries) still resumes.
    """
    kept = folder.parent / SUMMARY_FILE
    version = json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))["version"]
    if kept.exists():
        row = json.loads(kept.read_text(encoding="utf-8"))
        if row.get("model_version") == version and (not timing or "inference_ms" in row):
            return row
    row = _measure(folder, timing) | {"model_version": version}
    kept.write_text(json.dumps(row, indent=2), encoding="utf-8")
    return row


def _measure(folder: Path, timing: bool) -> dict:
    model = load_model(folder)
    card = model.card
    split = "test" if "test" in card.metrics else "val"
    metrics = card.metrics[split]
    row = {"status": "ok", "evaluated_on": split, **{k: metrics[k] for k in METRICS},
           "val_roc_auc": card.metrics["val"]["roc_auc"], "threshold": card.threshold,
           "seconds_per_epoch": _seconds_per_epoch(folder.parent / "history.csv"),
           "parameters": sum(p.numel() for p in model.module.parameters()),
           "backend": model.backend}
    if card.reads_encodings:  # how many evaluated faces the encoding branch saw as "dlib found no face"
        row["no_face_encodings"] = card.encodings["no_face"].get(split, 0)
    if timing:
        row["inference_ms"] = _inference_ms(model, card.training["config"])
    return row


def _seconds_per_epoch(history: Path) -> float | None:
    if not history.exists():
        return None
    with open(history, encoding="utf-8") as handle:
        seconds = [float(row["seconds"]) for row in csv.DictReader(handle)]
    return sum(seconds) / len(seconds) if seconds else None


def _inference_ms(model: LoadedModel, config: dict) -> float:
    """Milliseconds per face crop through the model as `scan` runs it (face encodings included), after a warm-up."""
    files = recipe_samples(TrainConfig(data=config["data"], out=config["out"], sources=config.get("sources") or {},
                                       leave_out=config.get("leave_out")))
    samples = [s for s in files if s.split != "train"]
    crops = crop_samples(samples[:TIMING_FACES], model.face_finder(all_faces=False), progress=False).crops
    if not crops:
        return float("nan")
    model.p_fake(crops[:2])
    started = time.perf_counter()
    model.p_fake(crops)
    return 1000 * (time.perf_counter() - started) / len(crops)
