"""Resumable runs: every finished epoch is saved to `last.pt` (weights, optimiser, schedule, run state and, when
used, EMA weights and a module trained beside the model), read back with `weights_only=True`; the per-epoch history
is written as CSV."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import torch
from timm.utils import ModelEmaV3
from torch import nn
from tqdm import tqdm

from facetrust.atomic import atomic_write


def fresh_run() -> dict:
    """The state of a run before its first epoch."""
    return {"epoch": 0, "best": -math.inf, "bad_epochs": 0, "history": []}


def resume_run(out: Path, model: nn.Module, optimiser: torch.optim.Optimizer,
               schedule: torch.optim.lr_scheduler.LRScheduler, ema: ModelEmaV3 | None,
               beside: nn.Module | None = None) -> dict:
    """The run state after the last finished epoch (models and optimiser restored in place), or a fresh one."""
    path = out / "last.pt"
    if not path.exists():
        return fresh_run()
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(saved["model"])
    optimiser.load_state_dict(saved["optimiser"])
    schedule.load_state_dict(saved["schedule"])
    if ema:
        ema.module.load_state_dict(saved["ema"])
    if beside:
        beside.load_state_dict(saved["beside"])
    tqdm.write(f"resuming {out} after epoch {saved['state']['epoch']}")
    return saved["state"]


def save_last(out: Path, model: nn.Module, optimiser: torch.optim.Optimizer,
              schedule: torch.optim.lr_scheduler.LRScheduler, state: dict, ema: ModelEmaV3 | None,
              beside: nn.Module | None = None) -> None:
    saved = {"model": model.state_dict(), "optimiser": optimiser.state_dict(), "schedule": schedule.state_dict(),
             "state": state}
    if ema:
        saved["ema"] = ema.module.state_dict()
    if beside:
        saved["beside"] = beside.state_dict()
    with atomic_write(out / "last.pt") as partial:
        torch.save(saved, partial)


def write_history(out: Path, history: list[dict]) -> None:
    if history:
        with open(out / "history.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(history[0]))
            writer.writeheader()
            writer.writerows(history)
