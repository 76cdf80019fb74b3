"""`facetrust tune`: hyperparameter grids, each cell a training run, the winner chosen on validation only.

A grid is `name=v1,v2 name=v1,v2 ...`; names are training settings (lr, epochs, batch_size,
weight_decay, img_size, color, ...) or the model's own options (dropout, width, depth, ...). Several
grids run in one command (e.g. lr x epochs, then lr x dropout). The winner is the cell with the best
validation ROC-AUC (ties: the earlier cell); test numbers, when the data has a test split, are shown
but never used to choose. The winner's settings are written as a `train --config` file.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, fields, replace
from pathlib import Path

import yaml
from tqdm import tqdm

from facetrust.errors import FacetrustError
from facetrust.models.registry import check_trainable
from facetrust.studies.plots import save_grid_heatmap
from facetrust.studies.runs import METRICS, run_once, summarise
from facetrust.studies.tables import write_table
from facetrust.training import TrainConfig

FIXED = {"data", "out", "model", "name", "model_options", "augment_options"}
CHOSEN_BY = "val_roc_auc"


def parse_grid(items: list[str]) -> dict[str, list]:
    """["lr=1e-2,1e-3", "epochs=5,10"] → {"lr": [0.01, 0.001], "epochs": [5, 10]}."""
    grid: dict[str, list] = {}
    for item in items:
        name, sep, values = item.partition("=")
        if not sep or not name or not values:
            raise FacetrustError(f"grid axis {item!r}: write NAME=VALUE,VALUE,...")
        if name in grid:
            raise FacetrustError(f"grid axis {name!r} is given twice")
        grid[name] = [_value(v) for v in values.split(",")]
    return grid


def _value(text: str) -> object:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def cell_config(base: TrainConfig, cell: dict, out: Path) -> TrainConfig:
    """`base` with the cell's training settings replaced and its model options added."""
    settings = {f.name for f in fields(TrainConfig)} - FIXED
    training = {k: v for k, v in cell.items() if k in settings}
    options = {k: v for k, v in cell.items() if k not in settings}
    try:
        check_trainable(base.model, options)
    except ValueError as exc:
        raise FacetrustError(f"{exc}; training settings: {', '.join(sorted(settings))}") from None
    return replace(base, out=str(out), **training, model_options={**base.model_options, **options})


def tune(base: TrainConfig, grids: list[dict[str, list]], out: Path, progress: bool = True) -> dict:
    """Run every cell of every grid under `out/runs/`, write tune.{md,csv,json}, a heat map per grid and
    best.yaml; returns {"rows", "best", "best_config"}."""
    out.mkdir(parents=True, exist_ok=True)
    planned = []
    for number, grid in enumerate(grids, 1):
        for values in itertools.product(*grid.values()):
            cell = dict(zip(grid, values, strict=True))
            slug = "-".join(f"{k}={v}" for k, v in cell.items())
            planned.append((number, cell, cell_config(base, cell, out / "runs" / f"grid{number}" / slug)))
    rows = []
    for k, (number, cell, config) in enumerate(planned, 1):
        if progress:
            tqdm.write(f"[{k}/{len(planned)}] grid {number}: {cell}")
        folder, error = run_once(replace(config, name=f"{base.model}-{Path(config.out).name}"), progress)
        summary = summarise(folder, timing=False) if folder else {"status": "failed", "error": error}
        rows.append({"grid": number, **cell, **summary, "out": config.out})
    finished = [r for r in rows if r["status"] == "ok" and r[CHOSEN_BY] is not None]
    if not finished:
        raise FacetrustError(f"no grid cell finished; see {out / 'tune.md'}")
    best = max(finished, key=lambda r: r[CHOSEN_BY])
    best_config = next(c for _, _, c in planned if c.out == best["out"])
    _write(out, base, grids, rows, best, best_config)
    return {"rows": rows, "best": best, "best_config": best_config}


def _write(out: Path, base: TrainConfig, grids: list[dict[str, list]], rows: list[dict], best: dict,
           best_config: TrainConfig) -> None:
    names = list(dict.fromkeys(name for grid in grids for name in grid))
    columns = ("grid", *names, "status", CHOSEN_BY, *METRICS, "evaluated_on",
               "seconds_per_epoch", "error")
    write_table(rows, out / "tune", columns)
    winner = {**asdict(best_config), "out": str(out / "winner")}
    (out / "best.yaml").write_text(yaml.safe_dump(winner, sort_keys=False), encoding="utf-8")
    (out / "tune.json").write_text(json.dumps({"chosen_by": CHOSEN_BY, "grids": grids, "rows": rows,
                                               "best": best}, indent=2), encoding="utf-8")
    for number, grid in enumerate(grids, 1):
        if len(grid) <= 2:
            cells = [r for r in rows if r["grid"] == number]
            chosen = max((r for r in cells if r["status"] == "ok"), key=lambda r: r[CHOSEN_BY] or 0.0, default=None)
            save_grid_heatmap(out / f"tune-grid{number}.png", cells, list(grid), CHOSEN_BY,
                              f"{base.model}: validation ROC-AUC (outlined: best of this grid)", chosen)
