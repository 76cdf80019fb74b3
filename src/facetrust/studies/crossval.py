"""`facetrust crossval`: training recipes ranked by k-fold cross-validation, never touching the test split.

A validation split of a few hundred faces cannot separate two detectors a few thousandths of ROC-AUC
apart, and choosing on the test split is not allowed. Cross-validation pools train and validation,
cuts the pool into k folds by the same (seed, group) hash the splits use (so a person or video never
straddles two folds), trains every recipe k times with one fold as its validation split, and ranks
the recipes by mean validation ROC-AUC over the folds: every pooled face is scored once per recipe.
The test split is left out of the fold manifests, so no run can measure on it.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from tqdm import tqdm

from facetrust.data.datasets import Sample, assign_splits, discover, fold_for_group
from facetrust.errors import FacetrustError
from facetrust.evaluation.plots import save_figure
from facetrust.studies.runs import run_once, summarise
from facetrust.studies.tables import write_table
from facetrust.training import TrainConfig

CHOSEN_BY = "val_roc_auc"
POOLED = ("train", "val")


def write_fold_manifests(data: str, folds: int, seed: int, out: Path) -> list[Path]:
    """One manifest per fold under `out/folds/`: that fold is `val`, the others `train`; test rows are dropped."""
    if folds < 2:
        raise FacetrustError(f"--folds {folds}: cross-validation needs at least 2 folds")
    pooled = [s for s in assign_splits(discover(data), seed=seed) if s.split in POOLED]
    fold_of = {s.path: fold_for_group(s.group, folds, seed) for s in pooled}
    sizes = [sum(f == k for f in fold_of.values()) for k in range(folds)]
    if min(sizes) == 0:
        raise FacetrustError(f"{data}: {len(pooled)} train/val files are too few for {folds} folds (sizes {sizes})")
    folder = out / "folds"
    folder.mkdir(parents=True, exist_ok=True)
    return [_write_manifest(folder / f"fold-{k}.csv", pooled, fold_of, k) for k in range(folds)]


def _write_manifest(path: Path, samples: list[Sample], fold_of: dict[Path, int], fold: int) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label", "split", "group"])
        for s in samples:
            writer.writerow([os.path.relpath(s.path, path.parent), s.label,
                             "val" if fold_of[s.path] == fold else "train", s.group])
    return path


def crossval(recipes: dict[str, TrainConfig], folds: int, out: Path, seed: int = 0,
             progress: bool = True) -> dict:
    """Train every recipe on every fold under `out/runs/<recipe>/fold-<k>` (finished runs are reused, unfinished
    ones resume), write crossval.{md,csv,json} and crossval.png; returns {"rows", "recipes", "best"}."""
    datas = {config.data for config in recipes.values()}
    if len(datas) != 1:
        raise FacetrustError(f"recipes train on different data ({', '.join(sorted(datas))}): nothing to compare")
    manifests = write_fold_manifests(datas.pop(), folds, seed, out)
    rows = []
    for name, config in recipes.items():
        for k, manifest in enumerate(manifests):
            if progress:
                tqdm.write(f"[{name}] fold {k + 1}/{folds}")
            run = replace(config, data=str(manifest), out=str(out / "runs" / name / f"fold-{k}"),
                          name=f"{name}-fold{k}")
            folder, error = run_once(run, progress)
            summary = summarise(folder, timing=False) if folder else {"status": "failed", "error": error}
            rows.append({"recipe": name, "fold": k, **summary})
    ranking = [_recipe_row(name, [r for r in rows if r["recipe"] == name]) for name in recipes]
    complete = [r for r in ranking if r["folds_ok"] == folds]
    best = max(complete, key=lambda r: r["mean_" + CHOSEN_BY])["recipe"] if complete else None
    _write(out, rows, ranking, best, folds, seed)
    return {"rows": rows, "recipes": ranking, "best": best}


def _recipe_row(name: str, rows: list[dict]) -> dict:
    """Mean and spread of validation ROC-AUC and accuracy over the folds that finished."""
    ok = [r for r in rows if r["status"] == "ok"]
    row: dict = {"recipe": name, "folds_ok": len(ok)}
    for metric in (CHOSEN_BY, "accuracy"):
        values = [r[metric] for r in ok]
        row["mean_" + metric] = statistics.fmean(values) if values else None
        row["sd_" + metric] = statistics.stdev(values) if len(values) > 1 else None
    return row


def _write(out: Path, rows: list[dict], ranking: list[dict], best: str | None, folds: int, seed: int) -> None:
    write_table(rows, out / "crossval-folds", ("recipe", "fold", "status", CHOSEN_BY, "accuracy", "precision",
                                               "recall", "threshold", "seconds_per_epoch", "error"))
    write_table(ranking, out / "crossval", ("recipe", "folds_ok", "mean_" + CHOSEN_BY, "sd_" + CHOSEN_BY,
                                            "mean_accuracy", "sd_accuracy"))
    (out / "crossval.json").write_text(json.dumps({"folds": folds, "seed": seed, "chosen_by": "mean_" + CHOSEN_BY,
                                                   "best": best, "recipes": ranking, "rows": rows}, indent=2),
                                       encoding="utf-8")
    _save_chart(out / "crossval.png", rows, [r["recipe"] for r in ranking], best)


def _save_chart(path: Path, rows: list[dict], recipes: list[str], best: str | None) -> Path:
    """Each fold's validation ROC-AUC as a dot per recipe, the mean as a bar: spread and ranking at a glance."""
    figure, axes = plt.subplots(figsize=(7, 1.4 + 0.6 * len(recipes)))
    labels = []
    for y, name in enumerate(recipes):
        values = [r[CHOSEN_BY] for r in rows if r["recipe"] == name and r["status"] == "ok"]
        mean = statistics.fmean(values) if values else None
        if mean is not None:
            axes.barh(y, mean, 0.5, color="tab:green" if name == best else "tab:gray", alpha=0.35)
            axes.scatter(values, [y] * len(values), color="black", zorder=3, s=18)
        labels.append(f"{name}\nmean {mean:.4f}" if mean is not None else f"{name}\nno fold finished")
    axes.set_yticks(range(len(recipes)), labels)
    axes.invert_yaxis()
    low = min((r[CHOSEN_BY] for r in rows if r["status"] == "ok"), default=0.5)
    axes.set_xlim(max(0.0, low - 0.05), 1.0)
    axes.set_xlabel("validation ROC-AUC per fold (dots) and mean (bar)")
    axes.set_title(f"{len({r['fold'] for r in rows})}-fold cross-validation on train + val"
                   + (f"; best: {best}" if best else ""))
    return save_figure(figure, path)
