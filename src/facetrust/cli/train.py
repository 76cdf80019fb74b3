"""`facetrust train`: one detector from a recipe or from options."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

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
from facetrust.faces import DEFAULT_DETECTOR


def train_command(
    ctx: typer.Context,
    data: Annotated[Path | None, typer.Option(help="Training data: real/fake folders (with or without "
                                              "train/val/test) or a manifest.")] = None,
    out: Annotated[Path | None, typer.Option(help="Run folder; re-run with the same folder to resume.")] = None,
    model: Annotated[str, typer.Option(help="Architecture (see `facetrust models`).")] = "effnet_lite0",
    epochs: Annotated[int, typer.Option()] = 10,
    batch_size: Annotated[int, typer.Option()] = 32,
    lr: Annotated[float, typer.Option(help="Peak learning rate (one-cycle schedule, AdamW).")] = 1e-3,
    img_size: Annotated[int | None, typer.Option(help="Input size (default: the architecture's).")] = None,
    color: Annotated[str, typer.Option(help="rgb, gray, r, g or b.")] = "rgb",
    freeze_backbone: Annotated[bool, typer.Option("--freeze-backbone", help="Train the head only.")] = False,
    augment: Annotated[bool, typer.Option("--augment/--no-augment")] = True,
    pretrained: Annotated[bool, typer.Option("--pretrained/--scratch")] = True,
    weights: Annotated[Path | None, typer.Option(help="Backbone weights for a timm architecture.")] = None,
    target_recall: Annotated[float | None, typer.Option(help="Choose the threshold reaching this recall.")] = None,
    detector: DetectorOpt = DEFAULT_DETECTOR,
    face_mode: ModeOpt = "auto",
    seed: SeedOpt = 0,
    max_per_split: MaxPerSplitOpt = None,
    fraction: FractionOpt = 1.0,
    ema_decay: Annotated[float | None, typer.Option(help="Select and ship an exponential moving average of the "
                                                    "weights with this decay (e.g. 0.995).")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML/JSON file with these settings (then only --out "
                                                "and --leave-out may be given beside it).")] = None,
    leave_out: Annotated[str | None, typer.Option(help="With a multi-source --config: train without this family "
                                                  "of sources (gan, diffusion, flux, swap).")] = None,
) -> None:
    """Train a real/fake detector; writes OUT/model (weights + card), curves.png and history.csv."""
    from facetrust.models.checkpoint import load_model
    from facetrust.training import TrainConfig, train
    from facetrust.training.distributed import join_workers

    if config:
        given = [name for name in ctx.params if name not in ("config", "out", "leave_out")
                 and getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"]
        if given:
            raise typer.BadParameter(f"{', '.join('--' + n.replace('_', '-') for n in given)} would compete with "
                                     "the config file; put the setting in the file", param_hint="--config")
        train_config = read_train_config(config, out)
        if leave_out:
            train_config = replace(train_config, leave_out=leave_out,
                                   name=f"{train_config.name or train_config.model}-without-{leave_out}")
    else:
        if leave_out:
            raise typer.BadParameter("--leave-out needs a --config that lists sources", param_hint="--leave-out")
        if data is None or out is None:
            raise typer.BadParameter("give --data and --out (or --config FILE)")
        train_config = TrainConfig(
            data=str(data), out=str(out), model=model, epochs=epochs, batch_size=batch_size, lr=lr,
            img_size=img_size, color=color, pretrained=pretrained, freeze_backbone=freeze_backbone,
            augment=augment, seed=seed, detector=detector, face_mode=crop_mode(face_mode), target_recall=target_recall,
            max_per_split=max_per_split, train_fraction=fraction, ema_decay=ema_decay,
            model_options={"weights": str(weights)} if weights else {})
    with errors_exit_2(), resumable("finished epochs are saved"):
        folder = train(train_config)
    if join_workers().leader:
        card = load_model(folder, backend="torch").card
        typer.echo(f"model written to {folder}; validation: {card.metrics['val']['roc_auc']} ROC-AUC")
