"""`facetrust compare`, `crossval`, `tune`, `shortcuts`: studies of many training runs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import click
import typer
from typer.core import TyperCommand

from facetrust.cli.support import (
    DetectorOpt,
    FractionOpt,
    MaxPerSplitOpt,
    ModeOpt,
    SeedOpt,
    crop_mode,
    errors_exit_2,
    read_train_config,
    resumable,
)
from facetrust.errors import FacetrustError
from facetrust.faces import DEFAULT_DETECTOR


def compare(
    data: Annotated[Path, typer.Option(help="Labelled data (any layout `train` accepts).")],
    models: Annotated[str, typer.Option(help="Comma-separated models; NAME:frozen trains the head only, "
                                        "NAME:scratch skips ImageNet weights.")],
    out: Annotated[Path, typer.Option(help="Study folder: runs/, compare.md/.csv/.json, compare.png. Re-run "
                                      "to resume.")],
    epochs: Annotated[int, typer.Option()] = 10,
    batch_size: Annotated[int, typer.Option()] = 32,
    lr: Annotated[float, typer.Option(help="Peak learning rate, the same for every model.")] = 1e-3,
    fraction: FractionOpt = 1.0,
    color: Annotated[str, typer.Option(help="Comma-separated colour modes (rgb, gray, r, g, b): an ablation.")] = "rgb",
    img_size: Annotated[str | None, typer.Option(help="Comma-separated input sizes (default: each model's "
                                                 "own): an ablation.")] = None,
    augment: Annotated[bool, typer.Option("--augment/--no-augment")] = True,
    seed: SeedOpt = 0,
    max_per_split: MaxPerSplitOpt = None,
    detector: DetectorOpt = DEFAULT_DETECTOR,
    face_mode: ModeOpt = "auto",
) -> None:
    """Train several detectors under one protocol and tabulate them (one run is one study)."""
    from facetrust.studies import compare as run_compare
    from facetrust.studies import plan
    from facetrust.training import TrainConfig

    with errors_exit_2():
        specs = plan(_names(models), _names(color), [int(v) for v in _names(img_size)] if img_size else [None])
        base = TrainConfig(data=str(data), out=str(out), epochs=epochs, batch_size=batch_size, lr=lr,
                           train_fraction=fraction, augment=augment, seed=seed, max_per_split=max_per_split,
                           detector=detector, face_mode=crop_mode(face_mode))
        with resumable("finished runs and epochs are kept"):
            rows = run_compare(base, specs, out)
    typer.echo((out / "compare.md").read_text(encoding="utf-8"))
    failed = sum(row["status"] != "ok" for row in rows)
    typer.echo(f"{len(rows)} runs, {failed} failed; table, chart and runs in {out}")


def crossval(
    config: Annotated[list[Path], typer.Option(help="A training recipe (`train --config` file); give two or more. "
                                               "Their data must be the same.")],
    out: Annotated[Path, typer.Option(help="Study folder: folds/, runs/, crossval.md/.csv/.json, crossval.png. "
                                      "Re-run to resume.")],
    folds: Annotated[int, typer.Option(help="Number of folds the train + val files are cut into.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of the fold assignment (a hash of seed and group).")] = 0,
    max_per_split: MaxPerSplitOpt = None,
) -> None:
    """Rank training recipes by k-fold cross-validation on train + val (the test split is never used)."""
    from facetrust.studies import crossval as run_crossval

    with errors_exit_2():
        names = [path.stem for path in config]
        if len(set(names)) != len(names):
            raise FacetrustError(f"recipe file names must differ (they name the runs): {', '.join(names)}")
        recipes = {path.stem: read_train_config(path) for path in config}
        if max_per_split:
            recipes = {name: replace(c, max_per_split=max_per_split) for name, c in recipes.items()}
        with resumable("finished folds and epochs are kept"):
            result = run_crossval(recipes, folds, out, seed=seed)
    typer.echo((out / "crossval.md").read_text(encoding="utf-8"))
    typer.echo(f"best by mean validation ROC-AUC over {folds} folds: {result['best'] or 'none (a fold failed)'}; "
               f"per-fold table in {out / 'crossval-folds.md'}")


def shortcuts(
    config: Annotated[Path, typer.Option(help="A multi-source training recipe (`train --config` file with sources).")],
    out: Annotated[Path, typer.Option(help="Folder for shortcuts.json and shortcuts.md.")],
    extra: Annotated[list[str] | None, typer.Option(help="NAME=FOLDER: an evaluation-only set (real/, fake/) "
                                                    "probed by 5-fold cross-validation; repeatable.")] = None,
) -> None:
    """Shortcut probes: real vs fake per data set from format-only features (docs/DETECTOR.md)."""
    from facetrust.studies.shortcuts import markdown_table, probe_folder, probe_sources

    with errors_exit_2():
        recipe = read_train_config(config)
        if not recipe.sources:
            raise FacetrustError(f"{config}: lists no sources; shortcut probes need a multi-source recipe")
        folders = [item.split("=", 1) for item in extra or []]
        if any(len(pair) != 2 for pair in folders):
            raise FacetrustError("--extra takes NAME=FOLDER")
        results = [*probe_sources(Path(recipe.data), recipe.sources),
                   *(probe_folder(name, Path(folder)) for name, folder in folders)]
    out.mkdir(parents=True, exist_ok=True)
    (out / "shortcuts.json").write_text(json.dumps([r.to_dict() for r in results], indent=2), encoding="utf-8")
    table = markdown_table(results)
    (out / "shortcuts.md").write_text(table + "\n", encoding="utf-8")
    typer.echo(table)


class RawArgsCommand(TyperCommand):
    """Keeps the raw arguments, so `--grid a=1,2 b=3,4 --grid c=5` can be grouped by grid (click cannot)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["raw_args"] = list(args)
        return super().parse_args(ctx, args)


def tune(
    ctx: typer.Context,
    data: Annotated[Path, typer.Option(help="Labelled data (any layout `train` accepts).")],
    model: Annotated[str, typer.Option(help="Architecture (see `facetrust models`).")],
    out: Annotated[Path, typer.Option(help="Study folder: runs/, tune.md/.csv/.json, heat maps, best.yaml.")],
    grid: Annotated[list[str], typer.Option(help="A grid: NAME=V1,V2 [NAME=V1,V2 ...]; repeat --grid for "
                                            "another grid.")],
    axes: Annotated[list[str] | None, typer.Argument(hidden=True)] = None,
    epochs: Annotated[int, typer.Option(help="Epochs, unless the grid varies them.")] = 10,
    batch_size: Annotated[int, typer.Option()] = 32,
    lr: Annotated[float, typer.Option(help="Learning rate, unless the grid varies it.")] = 1e-3,
    fraction: FractionOpt = 1.0,
    seed: SeedOpt = 0,
    max_per_split: MaxPerSplitOpt = None,
    detector: DetectorOpt = DEFAULT_DETECTOR,
    face_mode: ModeOpt = "auto",
) -> None:
    """Train one model over hyperparameter grids and pick the best cell on validation ROC-AUC."""
    from facetrust.studies import parse_grid
    from facetrust.studies import tune as run_tune
    from facetrust.training import TrainConfig

    with errors_exit_2():
        grids = [parse_grid(items) for items in _grids(ctx.meta["raw_args"])]
        base = TrainConfig(data=str(data), out=str(out), model=model, epochs=epochs, batch_size=batch_size, lr=lr,
                           train_fraction=fraction, seed=seed, max_per_split=max_per_split, detector=detector,
                           face_mode=crop_mode(face_mode))
        with resumable("finished cells and epochs are kept"):
            result = run_tune(base, grids, out)
    typer.echo((out / "tune.md").read_text(encoding="utf-8"))
    best = result["best"]
    chosen = {k: best[k] for k in grids[best["grid"] - 1]}
    typer.echo(f"best on validation: {chosen} (val ROC-AUC {best['val_roc_auc']:.4f}); train it with "
               f"`facetrust train --config {out / 'best.yaml'}`")


def _grids(raw: list[str]) -> list[list[str]]:
    """The NAME=VALUES tokens after each --grid, grid by grid."""
    grids: list[list[str]] = []
    current: list[str] | None = None
    for token in raw:
        if token == "--grid" or token.startswith("--grid="):
            current = [token.removeprefix("--grid=")] if "=" in token.removeprefix("--grid=") else []
            grids.append(current)
        elif token.startswith("-"):
            current = None
        elif current is not None and "=" in token:
            current.append(token)
        else:
            current = None
    if any(not g for g in grids):
        raise FacetrustError("each --grid needs at least one NAME=V1,V2 axis")
    return grids


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
