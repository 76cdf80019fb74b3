"""`facetrust compare`: several detectors trained and measured under one protocol, one table.

Every model sees the same split, seed, epochs, learning rate, batch size and augmentation; colour
modes and input sizes given as lists multiply the runs (an ablation is one command). Thresholds and
checkpoints come from validation; the table reports the test split when the data has one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from tqdm import tqdm

from facetrust.errors import FacetrustError
from facetrust.models import model_entry
from facetrust.studies.plots import save_comparison_chart
from facetrust.studies.runs import run_once, summarise
from facetrust.studies.tables import write_table
from facetrust.training import TrainConfig

MODES = ("frozen", "scratch")


@dataclass(frozen=True)
class RunSpec:
    """One row of a comparison: a model (`name[:frozen|:scratch]`), a colour mode and an input size."""

    model: str
    mode: str = "fine-tuned"  # all layers trained, from ImageNet weights where the model has them; frozen; scratch
    color: str = "rgb"
    img_size: int | None = None

    @classmethod
    def parse(cls, text: str) -> RunSpec:
        name, _, mode = text.strip().partition(":")
        if mode and mode not in MODES:
            raise FacetrustError(f"{text!r}: unknown mode {mode!r}; write NAME, NAME:frozen or NAME:scratch")
        try:
            model_entry(name)
        except ValueError as exc:  # a typo fails the study before any training, listing the registered names
            raise FacetrustError(str(exc)) from None
        return cls(name, mode or "fine-tuned")

    @property
    def size(self) -> int:
        return self.img_size or model_entry(self.model).preprocess.size

    @property
    def slug(self) -> str:
        mode = "" if self.mode == "fine-tuned" else f"-{self.mode}"
        return f"{self.model}{mode}-{self.color}-{self.size}"


def plan(models: list[str], colors: list[str], sizes: list[int | None]) -> list[RunSpec]:
    """Every model x colour x size combination, in the order given."""
    return [replace(RunSpec.parse(m), color=c, img_size=s) for m in models for c in colors for s in sizes]


def compare(base: TrainConfig, specs: list[RunSpec], out: Path, progress: bool = True) -> list[dict]:
    """Train (or resume, or reuse) every run under `out/runs/`, then write compare.{md,csv,json,png}."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for number, spec in enumerate(specs, 1):
        if progress:
            tqdm.write(f"[{number}/{len(specs)}] {spec.slug}")
        config = replace(base, out=str(out / "runs" / spec.slug), model=spec.model, color=spec.color,
                         img_size=spec.img_size, freeze_backbone=spec.mode == "frozen",
                         pretrained=spec.mode != "scratch", name=spec.slug)
        folder, error = run_once(config, progress)
        row = {"run": spec.slug, **asdict(spec), "img_size": spec.size}
        rows.append(row | (summarise(folder) if folder else {"status": "failed", "error": error}))
    protocol = {k: v for k, v in asdict(base).items() if k not in ("out", "model", "color", "img_size",
                                                                   "freeze_backbone", "pretrained", "name")}
    (out / "compare.json").write_text(json.dumps({"protocol": protocol, "rows": rows}, indent=2), encoding="utf-8")
    write_table(rows, out / "compare", COLUMNS)
    split = next((row["evaluated_on"] for row in rows if row["status"] == "ok"), "no finished run")
    save_comparison_chart(out / "compare.png", rows, f"{Path(base.data).name}, {split} split")
    return rows


COLUMNS = ("run", "status", "accuracy", "precision", "recall", "f1", "roc_auc", "ap", "val_roc_auc",
           "seconds_per_epoch", "parameters", "inference_ms", "no_face_encodings", "error")
