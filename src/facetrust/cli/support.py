"""Pieces the command modules share: option types, error handling, Ctrl-C handling, small helpers.
Nothing heavy is imported here: `facetrust --help` loads every command module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TextIO

import typer

from facetrust.errors import FacetrustError, MediaError

if TYPE_CHECKING:
    from facetrust.faces.finder import CropMode
    from facetrust.store import ResultStore
    from facetrust.training import TrainConfig

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


def emit_error(exc: MediaError, records: TextIO | None, only_records: bool) -> None:
    """A failed input is a line of the records (JSON Lines, so the file accounts for every input) and, unless
    the records are what stdout shows, a line on stderr."""
    if records:
        records.write(json.dumps({"input": exc.source, "error": exc.problem, "error_type": type(exc).__name__}) + "\n")
        records.flush()
    if not only_records:
        typer.echo(f"{exc.source}: error: {exc.problem}", err=True)


def open_store(url: str) -> ResultStore:
    from facetrust.store import ResultStore

    try:
        return ResultStore(url)
    except Exception as exc:  # a bad URL, an unreachable server, a failed migration: say which store
        fail(f"cannot open the results store {url}: {exc}")


def read_train_config(path: Path, out: Path | None = None) -> TrainConfig:
    """A `train --config` file as a TrainConfig (`training.read_config`), its problems as usage errors."""
    from facetrust.training import read_config

    try:
        return read_config(path, out)
    except FacetrustError as exc:
        raise typer.BadParameter(str(exc), param_hint="--config") from None
