"""The epoch loop every trainer shares (detector, expression and video models): resume from `last.pt`, train an
epoch, judge it on the selection split, keep the best weights, stop after `patience` epochs without progress,
save the run after every epoch and say how it went.

What differs between tasks is passed in, in the manner of a trainer's hooks: `train_epoch(epoch)` trains one
epoch and returns its loss; `judge(model, epoch)` scores the model on the selection split and returns a `Judged`.
A fit with a fixed number of steps and nothing to select (the video heads' cross-validation fits: seconds each,
many per run) passes no judge, so the latest epoch is kept, and no `out`, so nothing is written or resumed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from timm.utils import ModelEmaV3
from torch import nn
from tqdm import tqdm

from facetrust.models.checkpoint import save_weights
from facetrust.training.checkpointing import fresh_run, resume_run, save_last


@dataclass(frozen=True)
class Judged:
    """An epoch's verdict: `score` picks the kept epoch (higher is better), `metrics` are its history columns,
    `summary` its part of the progress line."""

    score: float
    metrics: dict
    summary: str


@dataclass
class Optimisation:
    """The model being trained and what updates it (with an EMA, the averaged weights are judged and kept)."""

    model: nn.Module
    optimiser: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.LRScheduler | None = None  # None: a constant learning rate
    ema: ModelEmaV3 | None = None
    beside: nn.Module | None = None  # trained with the model and saved with the run, never shipped (a boundary head)

    @property
    def judged(self) -> nn.Module:
        return self.ema.module if self.ema else self.model


def run_epochs(out: Path | None, run: Optimisation, epochs: int, patience: int, train_epoch: Callable[[int], float],
               judge: Callable[[nn.Module, int], Judged] | None = None, leader: bool = True,
               progress: bool = True) -> list[dict]:
    """Train until `epochs` or early stop; `out/best.safetensors` holds the best judged weights and `out/last.pt`
    the state after the last finished epoch (only the `leader` writes). Returns the history, one row per epoch."""
    state = resume_run(out, run.model, run.optimiser, run.schedule, run.ema, run.beside) if out else fresh_run()
    for epoch in range(state["epoch"] + 1, epochs + 1):
        if state["bad_epochs"] >= patience:
            break
        started = time.perf_counter()
        train_loss = train_epoch(epoch)
        judged = judge(run.judged, epoch) if judge else Judged(float(epoch), {}, "kept: the latest")
        lr = run.schedule.get_last_lr()[0] if run.schedule else run.optimiser.param_groups[0]["lr"]
        state["history"].append({"epoch": epoch, "train_loss": train_loss, **judged.metrics,
                                 "seconds": time.perf_counter() - started, "lr": lr})
        if judged.score > state["best"]:
            state["best"], state["bad_epochs"] = judged.score, 0
            if leader and out:
                save_weights(out / "best.safetensors", run.judged)
        else:
            state["bad_epochs"] += 1
        state["epoch"] = epoch
        if leader and out:
            save_last(out, run.model, run.optimiser, run.schedule, state, run.ema, run.beside)
        if progress:
            tqdm.write(f"epoch {epoch}: train loss {train_loss:.4f}, {judged.summary}, best {state['best']:.4f}")
    return state["history"]
