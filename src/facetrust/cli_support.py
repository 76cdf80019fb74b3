"""Pieces every command module shares: option types, error handling, Ctrl-C handling."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer

from facetrust.errors import FacetrustError
from facetrust.faces.finder import CropMode

DetectorOpt = Annotated[str, typer.Option("--detector", "-d", help="Face detector (see `facetrust detectors`).")]
ModeOpt = Annotated[str, typer.Option(
    "--mode", help="auto: detect, but use the whole image when one face fills it; detect; whole: inputs are "
    "face crops.")]
SeedOpt = Annotated[int, typer.Option(help="Seed for weights, batches and augmentation.")]
MaxPerSplitOpt = Annotated[int | None, typer.Option(help="Use at most this many files per split.")]
FractionOpt = Annotated[float, typer.Option(help="Train on this label-stratified share of the training split.")]


@contextmanager
def errors_exit_2() -> Iterator[None]:
    """A deliberate facetrust error ends the command with its message and exit code 2, no traceback."""
    try:
        yield
    except FacetrustError as exc:
        fail(str(exc))


@contextmanager
def resumable(kept: str) -> Iterator[None]:
    """Ctrl-C on a long job: say what is kept and how to continue, exit 130, no traceback."""
    try:
        yield
    except KeyboardInterrupt:
        typer.echo(f"interrupted: {kept}; run the same command again to resume", err=True)
        raise typer.Exit(130) from None


def fail(message: str) -> NoReturn:
    """End the command with `error: message` on stderr and exit code 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def crop_mode(mode: str) -> CropMode:
    if mode not in ("auto", "detect", "whole"):
        raise typer.BadParameter(f"{mode!r} is not one of auto, detect, whole", param_hint="--mode")
    return mode  # type: ignore[return-value]
