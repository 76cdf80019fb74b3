"""`facetrust video ...`: train and evaluate temporal models that judge a video's face tracks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from facetrust.bundled import default_video_model_path
from facetrust.cli.support import SeedOpt, errors_exit_2, fail, resumable
from facetrust.video import TEMPORAL_KINDS

video_app = typer.Typer(no_args_is_help=True, help="Video deepfakes: temporal models over face tracks.")


def _kinds(value: str) -> tuple[str, ...]:
    kinds = tuple(k.strip() for k in value.split(",") if k.strip())
    unknown = [k for k in kinds if k not in TEMPORAL_KINDS]
    if not kinds or unknown:
        raise typer.BadParameter(f"{value!r}: choose from {', '.join(TEMPORAL_KINDS)} (comma-separated)",
                                 param_hint="--temporal")
    return kinds


@video_app.command("train")
def train_command(
    data: Annotated[Path, typer.Option(help="Folder with real/ and fake/ videos (FaceForensics++ names give "
                                       "identities and methods).")],
    out: Annotated[Path, typer.Option(help="Run folder: report.json/.md, roc.png and model/.")],
    temporal: Annotated[str, typer.Option(help="Temporal models to cross-validate, comma-separated "
                                          f"({', '.join(TEMPORAL_KINDS)}); the first is saved.")] = "gru",
    image_model: Annotated[Path | None, typer.Option(help="Image model giving the frame features (default: "
                                                     "the bundled detector).")] = None,
    frames: Annotated[int, typer.Option(help="Frames sampled uniformly from each video.")] = 32,
    folds: Annotated[int, typer.Option(help="Identity-disjoint cross-validation folds.")] = 5,
    epochs: Annotated[int, typer.Option(help="Full-batch epochs per temporal model (fixed, not tuned).")] = 60,
    lr: Annotated[float, typer.Option()] = 3e-3,
    hidden: Annotated[int, typer.Option(help="Width of the temporal model.")] = 64,
    emotion: Annotated[bool, typer.Option("--emotion", help="Add each face's expression probabilities to the "
                                          "frame inputs (the expression-consistency study).")] = False,
    seed: SeedOpt = 0,
) -> None:
    """Cross-validate temporal models against mean/max of frames, then train the first on every video."""
    from facetrust.video.training import VideoTrainConfig, train_video

    config = VideoTrainConfig(data=str(data), out=str(out), temporal=_kinds(temporal),
                              image_model=str(image_model) if image_model else None, frames=frames, folds=folds,
                              epochs=epochs, lr=lr, hidden=hidden, emotion=emotion, seed=seed)
    with errors_exit_2(), resumable("face tracks read so far are cached"):
        folder = train_video(config)
    typer.echo((out / "report.md").read_text(encoding="utf-8"))
    typer.echo(f"model written to {folder}")


@video_app.command("evaluate")
def evaluate_command(
    data: Annotated[Path, typer.Option(help="Folder with real/ and fake/ videos.")],
    model: Annotated[Path | None, typer.Option(help="Video model folder (default: the bundled one, if one ships).")
                     ] = None,
    image_model: Annotated[Path | None, typer.Option(help="The image model it reads (default: from its card).")
                           ] = None,
    out: Annotated[Path | None, typer.Option(help="Write report.json, report.md and roc.png here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Video-level ROC-AUC, AP, accuracy, EER per method, beside mean and max of the frames' P(fake)."""
    from facetrust.models.checkpoint import load_model
    from facetrust.video.evaluate import evaluate_video
    from facetrust.video.model import load_video_model
    from facetrust.video.report import report_markdown

    if model is None and not default_video_model_path().exists():
        fail("no video model ships with this version (docs/VIDEO.md); give --model DIR, one trained by "
             "`facetrust video train`")
    with errors_exit_2(), resumable("face tracks read so far are cached"):
        loaded = load_video_model(model or default_video_model_path(),
                                  load_model(image_model) if image_model else None)
        result = evaluate_video(loaded, data, out)
    if as_json:
        typer.echo(json.dumps({k: v for k, v in result.items() if k != "videos"}, indent=2))
        return
    typer.echo(f"{loaded.card.name} on {data}: {result['n_real']} real, {result['n_fake']} fake videos")
    typer.echo(report_markdown(result))
    if result.get("note"):
        typer.echo(f"note: {result['note']}")
