"""`facetrust faces`, `crop`, `detectors`: the face stage on its own."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from facetrust.cli.support import DetectorOpt, ModeOpt, crop_mode, emit_error, errors_exit_2
from facetrust.errors import MediaError
from facetrust.faces import DEFAULT_DETECTOR

if TYPE_CHECKING:
    from facetrust.faces import FaceFinder
    from facetrust.faces.stage import FacesResult


def faces(
    inputs: Annotated[list[Path], typer.Argument(help="Image/video files or folders (walked recursively).")],
    detector: DetectorOpt = DEFAULT_DETECTOR,
    mode: ModeOpt = "auto",
    threshold: Annotated[float | None, typer.Option(help="Detection score threshold (detector's scale).")] = None,
    largest: Annotated[bool, typer.Option("--largest", help="Keep only the largest face per image/frame.")] = False,
    frames: Annotated[int, typer.Option(help="Frames sampled uniformly from each video.")] = 16,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON record per input (JSON Lines).")] = False,
    save_crops: Annotated[Path | None, typer.Option(help="Write the aligned face crops into this folder.")] = None,
    size: Annotated[int, typer.Option(help="Crop size in pixels.")] = 224,
) -> None:
    """Print every face found in each input: box, score, landmarks. Exit code 1 if any input failed."""
    from facetrust.faces.stage import find_faces_or_error
    from facetrust.media.files import expand_inputs

    finder = _finder(detector, mode, threshold, size, all_faces=not largest)
    failed = 0
    for path in expand_inputs(inputs):
        result = find_faces_or_error(path, finder, frames=frames)
        if isinstance(result, MediaError):
            failed += 1
            emit_error(result, sys.stdout if as_json else None, only_records=as_json)
            continue
        if save_crops:
            _save_crops(result, path, save_crops)
        typer.echo(json.dumps(result.to_dict()) if as_json else _describe(result))
    raise typer.Exit(1 if failed else 0)


def crop(
    src: Annotated[Path, typer.Argument(help="Dataset folder of images and/or videos.")],
    dest: Annotated[Path, typer.Argument(help="Output folder for crops, manifest.csv and problems.csv.")],
    size: Annotated[int, typer.Option(help="Crop size in pixels.")] = 224,
    margin: Annotated[float, typer.Option(help="Context around the face, as a fraction of its size.")] = 0.3,
    frames_per_video: Annotated[int, typer.Option(help="Frames sampled uniformly from each video.")] = 16,
    detector: DetectorOpt = DEFAULT_DETECTOR,
    mode: ModeOpt = "auto",
    all_faces: Annotated[bool, typer.Option("--all-faces", help="Keep every face, not only the largest.")] = False,
) -> None:
    """Build a dataset of aligned face crops, keeping SRC's folders. Re-run to resume an interrupted job."""
    from facetrust.data.crops import CropSettings, crop_dataset
    from facetrust.faces import create_detector

    create_detector(detector)  # fail on a bad name before walking the dataset
    settings = CropSettings(size=size, margin=margin, detector=detector, mode=crop_mode(mode),
                            frames_per_video=frames_per_video, all_faces=all_faces)
    with errors_exit_2():
        summary = crop_dataset(src, dest, settings)
    typer.echo(f"{summary.total} files: {summary.skipped} already done, {summary.ok} cropped, "
               f"{summary.no_face} without a face, {summary.errors} unreadable; {summary.crops} new crops "
               f"in {dest} (manifest.csv, problems.csv)")
    for source, status, message in summary.problems[:20]:
        typer.echo(f"  {status}: {message or source}")
    if len(summary.problems) > 20:
        typer.echo(f"  ... {len(summary.problems) - 20} more in {dest / 'problems.csv'}")
    if summary.interrupted:
        typer.echo("interrupted: finished files are kept; run the same command again to continue", err=True)
        raise typer.Exit(130)


def detectors() -> None:
    """List the face detectors: the default of `faces`, `crop` and training, and the bundled detector's (`scan`)."""
    from facetrust.bundled import default_model_path
    from facetrust.faces import list_detectors
    from facetrust.models.card import ModelCard, read_card

    bundled = read_card(default_model_path(), ModelCard).faces.detector
    for name in list_detectors():
        roles = ["default"] * (name == DEFAULT_DETECTOR) + ["the bundled detector's, used by scan"] * (name == bundled)
        typer.echo(name + (f" ({'; '.join(roles)})" if roles else ""))


def _finder(detector: str, mode: str, threshold: float | None, size: int, all_faces: bool) -> FaceFinder:
    from facetrust.faces import FaceFinder, create_detector

    try:
        chosen = create_detector(detector, threshold=threshold)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--detector") from exc
    return FaceFinder(chosen, mode=crop_mode(mode), size=size, all_faces=all_faces)


def _describe(result: FacesResult) -> str:
    head = f"{result.name}: {result.kind} {result.width}x{result.height}"
    lines = []
    for frame in result.frames:
        where = "" if frame.index is None else f"frame {frame.index} ({frame.time:.2f} s) "
        if not frame.faces:
            lines.append(f"  {where}no face found")
        for k, found in enumerate(frame.faces, 1):
            face = found.face
            box = ",".join(f"{v:.0f}" for v in face.box)
            score = "-" if face.score is None else f"{face.score:.3f}"
            marks = " ".join(f"{n}=({x:.0f},{y:.0f})" for n, (x, y) in face.landmarks.items())
            lines.append(f"  {where}face {k}: box {box} score {score} {marks} [{found.source}]".rstrip())
    summary = f"{result.face_count} face(s)" if result.face_count else "no face found"
    notes = f" ({'; '.join(result.notes)})" if result.notes else ""
    return "\n".join([f"{head}: {summary}{notes}", *lines])


def _save_crops(result: FacesResult, path: Path, folder: Path) -> None:
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    for frame in result.frames:
        for k, found in enumerate(frame.faces):
            frame_part = "" if frame.index is None else f".frame{frame.index:06d}"
            cv2.imwrite(str(folder / f"{path.name}{frame_part}.face{k}.png"),
                        cv2.cvtColor(found.crop, cv2.COLOR_RGB2BGR))
