"""Command line: one command per verb, each a thin layer over facetrust.api."""

from __future__ import annotations

import ipaddress
import json
import sys
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Annotated, TextIO

import click
import cv2
import numpy as np
import typer
from tqdm import tqdm
from typer.core import TyperCommand

from facetrust.batch.local import scan_many
from facetrust.batch.ray_engine import scan_on_ray
from facetrust.bundled import default_emotion_model_path, default_model_path
from facetrust.cli_emotion import emotion_app
from facetrust.cli_support import (
    DetectorOpt,
    FractionOpt,
    MaxPerSplitOpt,
    ModeOpt,
    SeedOpt,
    crop_mode,
    errors_exit_2,
    fail,
    resumable,
)
from facetrust.cli_video import video_app
from facetrust.data.crops import CropSettings, crop_dataset
from facetrust.data.datasets import assign_splits, discover
from facetrust.detection.scanner import Scanner, ScanSettings
from facetrust.detection.verdict import ScanResult
from facetrust.embeddings import encode_samples
from facetrust.errors import FacetrustError, MediaError
from facetrust.evaluation.plots import confusion_panel, save_confusion_matrices, save_encoding_norms
from facetrust.explain import EXPLAIN_METHODS, save_explanation
from facetrust.faces import DEFAULT_DETECTOR, FaceFinder, create_detector, list_detectors
from facetrust.faces.stage import FacesResult, find_faces_or_error
from facetrust.media.files import expand_inputs
from facetrust.models import list_models, model_entry
from facetrust.models.checkpoint import load_model
from facetrust.models.onnx_backend import PARITY_TOLERANCE, OnnxModule, export_onnx
from facetrust.report.build import ReportConfig, build_report, evaluated_crops
from facetrust.report.degrade import DEGRADATIONS
from facetrust.report.embedding import embedding_map
from facetrust.store import ResultStore
from facetrust.studies.evaluate import evaluate_model, write_evaluation
from facetrust.training import TrainConfig, read_config, train
from facetrust.training.distributed import join_workers
from facetrust.video.timeline import save_timeline

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="facetrust: is this face real? Detect AI-generated and manipulated faces.")



@app.command()
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
    finder = _finder(detector, mode, threshold, size, all_faces=not largest)
    failed = 0
    for path in expand_inputs(inputs):
        result = find_faces_or_error(path, finder, frames=frames)
        if isinstance(result, MediaError):
            failed += 1
            _emit_error(result, sys.stdout if as_json else None, only_records=as_json)
            continue
        if save_crops:
            _save_crops(result, path, save_crops)
        typer.echo(json.dumps(result.to_dict()) if as_json else _describe(result))
    raise typer.Exit(1 if failed else 0)


@app.command()
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


@app.command()
def scan(
    inputs: Annotated[list[Path], typer.Argument(help="Image/video files or folders (walked recursively).")],
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the bundled detector).")] = None,
    threshold: Annotated[float | None, typer.Option(help="Decision threshold for faces and images (default: the "
                                                    "model's).")] = None,
    video_threshold: Annotated[float | None, typer.Option(help="Decision threshold for videos (default: the video "
                                                          "model's, else the image model's).")] = None,
    uncertain_band: Annotated[float | None, typer.Option(help="Half-width of the 'uncertain' band around both "
                                                         "thresholds (default: 0.1).")] = None,
    frames: Annotated[int | None, typer.Option(help="Frames sampled uniformly from each video (default: the "
                                               "video model's, else 16).")] = None,
    fps: Annotated[float | None, typer.Option(help="Sample videos at this rate instead, at most --frames "
                                              "frames.")] = None,
    video_model: Annotated[Path | None, typer.Option(help="Temporal model scoring each video's face tracks "
                                                     "(default: none is bundled today, so each track is scored "
                                                     "by the mean of its frames' P(fake)).")] = None,
    temporal: Annotated[bool, typer.Option("--temporal/--mean-of-frames", help="Score face tracks with the "
                                           "temporal model (when there is one), or by the mean of their "
                                           "frames' P(fake).")] = True,
    timeline: Annotated[Path | None, typer.Option(help="Draw each video's P(fake) over time into this PNG "
                                                  "(several videos: NAME-<video>.png).")] = None,
    explain: Annotated[Path | None, typer.Option(help="Write a heatmap picture per input into this folder (every "
                                                 "face of an image, the most suspicious face of a video).")] = None,
    explain_method: Annotated[str, typer.Option(help=f"Heatmap method: {', '.join(EXPLAIN_METHODS)}.")] = "gradcam",
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the records here (JSON Lines; "
                                                  "'-' prints them instead of the summary).")] = None,
    db: Annotated[str | None, typer.Option(help="Keep every record in this results store (sqlite:///FILE or "
                                           "postgresql://...); inputs it already holds for this model are "
                                           "not scanned again, so an interrupted batch resumes.")] = None,
    workers: Annotated[int, typer.Option(help="Threads reading, decoding and finding faces (with --engine ray: "
                                         "Ray workers, one CPU each).")] = 2,
    batch_size: Annotated[int, typer.Option(help="Faces classified per model call.")] = 32,
    face_mode: Annotated[str | None, typer.Option(
        "--face-mode", help="Override the model's crop mode: whole = every input is a face crop already "
        "(no detector: much faster on cropped datasets); detect; auto.")] = None,
    engine: Annotated[str, typer.Option(help="local, or ray: run the scan on a Ray cluster (paths must be "
                                        "readable by its workers).")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (default: start a local Ray).")] = None,
    emotion: Annotated[bool, typer.Option("--emotion", help="Also read each face's expression (the bundled "
                                          "expression model).")] = False,
    emotion_model: Annotated[Path | None, typer.Option(help="Read expressions with this model instead "
                                                       "(implies --emotion).")] = None,
    provenance: Annotated[bool, typer.Option("--provenance/--no-provenance", help="Also report what each file "
                                             "declares about its origin: Content Credentials (C2PA), XMP "
                                             "digital source type, generator metadata, EXIF.")] = True,
) -> None:
    """Say for each face whether it is real or fake. Exit code 1 if any input failed."""
    if engine not in ("local", "ray"):
        raise typer.BadParameter(f"{engine!r} is not one of local, ray", param_hint="--engine")
    expressions = emotion_model or (default_emotion_model_path() if emotion else None)
    settings = ScanSettings(model=str(model) if model else None, threshold=threshold, video_threshold=video_threshold,
                            uncertain_band=uncertain_band,
                            frames=frames, face_mode=crop_mode(face_mode) if face_mode else None,
                            emotion=str(expressions) if expressions else None,
                            video_model=str(video_model) if video_model and temporal else None if temporal else False,
                            explain=explain_method if explain else None, fps=fps, provenance=provenance)
    if explain and engine == "ray":
        fail("--explain runs with the local engine only")
    with errors_exit_2():
        scanner = settings.scanner()
    store = _open_store(db) if db else None
    failed = 0
    with ExitStack() as stack:
        to_stdout = str(json_out) == "-"
        if not to_stdout:
            info = scanner.model_info
            typer.echo(f"model {info['name']} ({info['version']}, {info['backend']}): fake if P(fake) >= "
                       f"{info['threshold'] + info['uncertain_band']:.2f}, real if < "
                       f"{info['threshold'] - info['uncertain_band']:.2f}, uncertain in between")
        records = sys.stdout if to_stdout else (
            stack.enter_context(open(json_out, "w", encoding="utf-8")) if json_out else None)
        paths = list(expand_inputs(inputs))
        if engine == "ray":
            with errors_exit_2():
                outcomes = scan_on_ray(settings, paths, address=address, workers=workers, batch_size=batch_size,
                                       store=store, model_info=scanner.model_info)
        else:
            outcomes = scan_many(scanner, paths, workers=workers, batch_size=batch_size, store=store)
        for outcome in tqdm(outcomes, total=len(paths), unit="input", disable=not to_stdout, file=sys.stderr):
            if isinstance(outcome, MediaError):
                failed += 1
                _emit_error(outcome, records, to_stdout)
                continue
            record = outcome.to_dict()
            if explain:
                _write_explanation(explain, outcome, record, explain_method)
            if timeline and "video" in record:
                save_timeline(_timeline_path(timeline, record, len(paths)), record)
            if records:
                records.write(json.dumps(record) + "\n")
                records.flush()
            if not to_stdout:
                typer.echo(_describe_scan(record))
    raise typer.Exit(1 if failed else 0)


@app.command()
def explain(
    source: Annotated[Path, typer.Argument(help="An image or video.")],
    out: Annotated[Path, typer.Option(help="PNG to write: each face crop above its heatmap.")],
    method: Annotated[str, typer.Option(help=f"Heatmap method: {', '.join(EXPLAIN_METHODS)}.")] = "gradcam",
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the bundled detector).")] = None,
) -> None:
    """Show where in each face the detector found what raised P(fake) (class-activation heatmaps)."""
    with errors_exit_2():
        result = Scanner(model, explain=method).scan(source)
    record = result.to_dict()
    _write_explanation(out.parent, result, record, method, out)
    typer.echo(_describe_scan(record))
    if not result.faces:
        fail(f"{source}: no face found, nothing to explain")
    typer.echo(f"heatmaps written to {out}")


@app.command()
def report(
    data: Annotated[list[Path], typer.Option(help="Labelled folder (real/ and fake/); repeat for cross-dataset "
                                             "columns. The first gets robustness, groups, galleries and the map.")],
    out: Annotated[Path, typer.Option(help="Folder for index.html, report.json and img/.")],
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the bundled detector).")] = None,
    attributes: Annotated[Path | None, typer.Option(help="CSV with a path (or file) column and attribute columns "
                                                    "(e.g. gender, age group) for per-group slices.")] = None,
    degradations: Annotated[str, typer.Option(help=f"Comma-separated: {', '.join(DEGRADATIONS)}.")] = ",".join(
        DEGRADATIONS),
    seed: Annotated[int, typer.Option(help="Seed for the degradations, the Grad-CAM sample and the map.")] = 0,
    embedding_map: Annotated[bool, typer.Option("--map/--no-map", help="Draw the UMAP embedding map.")] = True,
    keep_degraded: Annotated[bool, typer.Option("--keep-degraded", help="Keep the degraded images in "
                                                "OUT/degraded/ (evaluate them to check the numbers).")] = False,
) -> None:
    """An evidence report: cross-dataset metrics, calibration, robustness, per-group slices, worst errors,
    Grad-CAM and an embedding map, as HTML and JSON."""
    chosen = tuple(d.strip() for d in degradations.split(",") if d.strip())
    unknown = [d for d in chosen if d not in DEGRADATIONS]
    if unknown:
        raise typer.BadParameter(f"{', '.join(unknown)}: choose from {', '.join(DEGRADATIONS)}",
                                 param_hint="--degradations")
    config = ReportConfig(data=[str(d) for d in data], out=str(out), model=str(model) if model else None,
                          attributes=str(attributes) if attributes else None, degradations=chosen, seed=seed,
                          embedding_map=embedding_map, keep_degraded=keep_degraded)
    with errors_exit_2():
        built = build_report(config)
    for name, metrics in built["datasets"].items():
        typer.echo(f"{name}: ROC-AUC {_fmt(metrics['roc_auc'])}, accuracy {_fmt(metrics['accuracy'])}, "
                   f"n={metrics['n']}")
    typer.echo(f"report written to {out / 'index.html'}")


@app.command("map")
def map_command(
    data: Annotated[Path, typer.Option(help="Labelled folder (real/ and fake/) or manifest.")],
    out: Annotated[Path, typer.Option(help="PNG to write (a JSON of the clusters is written beside it).")],
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the bundled detector).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for UMAP (the same seed draws the same map).")] = 0,
) -> None:
    """Embedding map: the model's penultimate features by UMAP in 2-D, HDBSCAN clusters, label and errors."""
    with errors_exit_2():
        loaded = load_model(model or default_model_path())
        evaluation = evaluate_model(loaded, data)
        clusters = embedding_map(loaded, evaluation, evaluated_crops(loaded, evaluation), seed, out, data.name)
    out.with_suffix(".json").write_text(json.dumps(clusters, indent=2), encoding="utf-8")
    for cluster in clusters:
        name = "noise" if cluster["cluster"] < 0 else f"cluster {cluster['cluster']}"
        typer.echo(f"{name}: {cluster['n']} faces, {cluster['fake_share']:.0%} fake, "
                   f"accuracy {cluster['accuracy']:.3f}")
    typer.echo(f"map written to {out}")


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _write_explanation(folder: Path, result: ScanResult, record: dict, method: str, path: Path | None = None) -> None:
    """`path` (default `<input stem>-<sha256 prefix>.png` in `folder`) with the explained faces; each face's
    record names the picture."""
    shown = [(k, face) for k, face in enumerate(result.faces) if face.heatmap is not None]
    if not shown:
        return
    path = path or folder / f"{Path(result.input).stem}-{result.sha256[:8]}.png"
    titles = [f"face {k + 1}" + (f" at {face.time:.1f} s" if face.time is not None else "")
              + f": {face.verdict}, P(fake) {face.p_fake:.2f}" for k, face in shown]
    save_explanation(path, [face.crop for _, face in shown], [face.heatmap for _, face in shown], titles, method)
    for k, _ in shown:
        record["faces"][k]["heatmap"] = str(path)


def _timeline_path(path: Path, record: dict, inputs: int) -> Path:
    return path if inputs == 1 else path.with_name(f"{path.stem}-{Path(record['input']).stem}{path.suffix or '.png'}")


def _open_store(url: str) -> ResultStore:
    try:
        return ResultStore(url)
    except Exception as exc:  # a bad URL, an unreachable server, a failed migration: say which store
        fail(f"cannot open the results store {url}: {exc}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback requires --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    db: Annotated[str, typer.Option(help="Results store: sqlite:///FILE or postgresql://user:pw@host/db.")] = (
        "sqlite:///facetrust.db"),
    token: Annotated[str | None, typer.Option(envvar="FACETRUST_TOKEN", help="Bearer token required on /v1/* "
                                              "(visible in `ps`: prefer FACETRUST_TOKEN or --token-file).")] = None,
    token_file: Annotated[Path | None, typer.Option(help="Read bearer tokens from this file, one per line: each is "
                                                    "a client that sees only its own scans.")] = None,
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the bundled detector).")] = None,
    workers: Annotated[int, typer.Option(help="Scanning threads.")] = 1,
    max_pending: Annotated[int, typer.Option(help="Scans running or waiting before new ones get 429.")] = 8,
    max_upload_mb: Annotated[float, typer.Option(help="Largest accepted upload, in MB.")] = 100.0,
    timeout: Annotated[float, typer.Option(help="Seconds a scan may take before the request gets 504.")] = 120.0,
    allowed_host: Annotated[list[str] | None, typer.Option(
        help="A name clients reach the server by (repeatable). Default: the loopback names when bound to "
             "loopback (refuses DNS rebinding), any name otherwise (the token guards it).")] = None,
) -> None:
    """Run the HTTP API and the web page (open http://HOST:PORT/)."""
    import uvicorn

    from facetrust.service import ServiceSettings, create_app

    tokens = _service_tokens(token, token_file)
    if not _is_loopback(host) and not tokens:
        fail(f"binding to {host} exposes the service beyond this machine; set --token (or FACETRUST_TOKEN)")
    settings = ServiceSettings(db_url=db, model=str(model) if model else None, tokens=tokens,
                               max_upload_bytes=int(max_upload_mb * 1024 * 1024), workers=workers,
                               max_pending=max_pending, timeout_seconds=timeout,
                               allowed_hosts=_allowed_hosts(host, allowed_host))
    uvicorn.run(create_app(settings, store=_open_store(db)), host=host, port=port, log_level="info")


def _service_tokens(token: str | None, token_file: Path | None) -> tuple[str, ...]:
    """The token from --token / FACETRUST_TOKEN, or the tokens of a file, one per line (a file's contents never
    appear in a process list)."""
    if token_file is None:
        return (token,) if token else ()
    if token:
        fail("give the token one way: --token / FACETRUST_TOKEN or --token-file, not both")
    try:
        lines = token_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{token_file}: cannot read the token file ({exc})")
    tokens = tuple(dict.fromkeys(line.strip() for line in lines if line.strip()))
    if not tokens:
        fail(f"{token_file}: the token file is empty")
    return tokens


def _allowed_hosts(host: str, named: list[str] | None) -> tuple[str, ...] | None:
    from facetrust.service.guard import LOOPBACK_HOSTS

    if named:
        return tuple(named)
    return (*LOOPBACK_HOSTS, host) if _is_loopback(host) else None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def evaluate(
    data: Annotated[Path, typer.Option(help="Folder with real/ and fake/ (any layout train accepts) or a manifest.")],
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the bundled detector).")] = None,
    threshold: Annotated[float | None, typer.Option(help="Decision threshold (default: the model's).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write metrics.json, scores.csv and ROC/PR/confusion PNGs.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Measure a detector on labelled data: accuracy, precision, recall, F1, ROC-AUC, AP, EER, ECE."""
    with errors_exit_2():
        loaded = load_model(model or default_model_path())
        evaluation = evaluate_model(loaded, data, threshold)
    if out:
        write_evaluation(evaluation, out, f"{loaded.name} on {data.name}")
    if as_json:
        typer.echo(json.dumps(evaluation.metrics, indent=2))
    else:
        m = evaluation.metrics
        typer.echo(f"{loaded.name} on {data}: {m['n_real']} real, {m['n_fake']} fake, {m['skipped']} skipped")
        for key in ("accuracy", "precision", "recall", "f1", "roc_auc", "ap", "eer", "ece", "fpr", "threshold"):
            typer.echo(f"  {key:10s} {'-' if m[key] is None else f'{m[key]:.4f}'}")
        typer.echo(f"  confusion  {m['confusion']} (rows: true real, fake; columns: predicted real, fake)")


@app.command(name="train")
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
    if config:
        given = [name for name in ctx.params if name not in ("config", "out", "leave_out")
                 and getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"]
        if given:
            raise typer.BadParameter(f"{', '.join('--' + n.replace('_', '-') for n in given)} would compete with "
                                     "the config file; put the setting in the file", param_hint="--config")
        train_config = _read_train_config(config, out)
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
        typer.echo(f"model written to {folder}; validation: {card['metrics']['val']['roc_auc']} ROC-AUC")


def _read_train_config(path: Path, out: Path | None = None) -> TrainConfig:
    """A `train --config` file as a TrainConfig (`training.read_config`), its problems as usage errors."""
    try:
        return read_config(path, out)
    except FacetrustError as exc:
        raise typer.BadParameter(str(exc), param_hint="--config") from None


@app.command()
def models() -> None:
    """List registered architectures and the bundled detector."""
    for name in list_models():
        typer.echo(f"{name:24s} {model_entry(name).description}")
    typer.echo("(any timm architecture name also works, with --weights FILE)")
    bundled = default_model_path()
    if (bundled / "model.json").exists():
        card = load_model(bundled).card
        typer.echo(f"bundled detector: {card['name']} {card['version']} at {bundled}")


@app.command()
def export(
    out: Annotated[Path, typer.Option(help="Where to write the exported model, e.g. model.onnx.")],
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the bundled detector).")] = None,
    export_format: Annotated[str, typer.Option("--format", help="Export format (onnx).")] = "onnx",
    images: Annotated[Path, typer.Option(help="Real images whose faces check the export against PyTorch.")] = Path(
        "examples"),
    tolerance: Annotated[float, typer.Option(help="Largest accepted |P(fake) difference|.")] = PARITY_TOLERANCE,
) -> None:
    """Export a model for onnxruntime and check it against PyTorch on real faces. Exit 1 if they differ."""
    if export_format != "onnx":
        raise typer.BadParameter(f"{export_format!r} is not a supported format (onnx)", param_hint="--format")
    with errors_exit_2():
        loaded = load_model(model or default_model_path(), backend="torch")
        finder = loaded.face_finder(all_faces=True)
        found = [find_faces_or_error(path, finder, frames=4) for path in expand_inputs([images])]
        crops = [face.crop for result in found if isinstance(result, FacesResult)
                 for frame in result.frames for face in frame.faces]
        if not crops:
            fail(f"{images}: no faces to check the export with")
        preprocess = loaded.preprocess
        export_onnx(loaded.module, preprocess.channels, preprocess.size, out, loaded.needs_encodings)
    exported = replace(loaded, runner=OnnxModule(out))
    difference = float(np.abs(loaded.p_fake(crops) - exported.p_fake(crops)).max())
    typer.echo(f"wrote {out}; max |P(fake) difference| vs PyTorch on {len(crops)} faces from {images}: "
               f"{difference:.2e} (tolerance {tolerance:.0e})")
    if difference > tolerance:
        out.unlink()
        typer.echo("error: the export does not match PyTorch; removed it", err=True)
        raise typer.Exit(1)


@app.command()
def embed(
    data: Annotated[Path, typer.Option(help="Labelled data (any layout `train` accepts).")],
    out: Annotated[Path, typer.Option(help="Write the encodings here (.npz).")],
) -> None:
    """dlib 128-d face encodings of every image (cached per file content, so later runs reuse them)."""
    with errors_exit_2():
        samples = assign_splits(discover(data))
        found = encode_samples(samples)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out, encodings=found.encodings, label=found.labels, split=np.array([s.split for s in found.samples]),
        path=np.array([str(s.path) for s in found.samples]),
        missing_path=np.array([str(s.path) for s, _ in found.missing]),
        missing_reason=np.array([reason for _, reason in found.missing]))
    typer.echo(f"{len(found.samples)} images encoded, {len(found.missing)} without an encoding "
               f"(listed in {out} as missing_path / missing_reason)")
    for sample, reason in found.missing[:10]:
        typer.echo(f"  {sample.path}: {reason}")


@app.command()
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


@app.command()
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
        recipes = {path.stem: _read_train_config(path) for path in config}
        if max_per_split:
            recipes = {name: replace(c, max_per_split=max_per_split) for name, c in recipes.items()}
        with resumable("finished folds and epochs are kept"):
            result = run_crossval(recipes, folds, out, seed=seed)
    typer.echo((out / "crossval.md").read_text(encoding="utf-8"))
    typer.echo(f"best by mean validation ROC-AUC over {folds} folds: {result['best'] or 'none (a fold failed)'}; "
               f"per-fold table in {out / 'crossval-folds.md'}")


@app.command()
def shortcuts(
    config: Annotated[Path, typer.Option(help="A multi-source training recipe (`train --config` file with sources).")],
    out: Annotated[Path, typer.Option(help="Folder for shortcuts.json and shortcuts.md.")],
    extra: Annotated[list[str] | None, typer.Option(help="NAME=FOLDER: an evaluation-only set (real/, fake/) "
                                                    "probed by 5-fold cross-validation; repeatable.")] = None,
) -> None:
    """Shortcut probes: real vs fake per data set from format-only features (docs/DETECTOR.md)."""
    from facetrust.studies.shortcuts import markdown_table, probe_folder, probe_sources

    with errors_exit_2():
        recipe = _read_train_config(config)
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


class _RawArgsCommand(TyperCommand):
    """Keeps the raw arguments, so `--grid a=1,2 b=3,4 --grid c=5` can be grouped by grid (click cannot)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["raw_args"] = list(args)
        return super().parse_args(ctx, args)


@app.command(cls=_RawArgsCommand)
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


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


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


app.add_typer(emotion_app, name="emotion")
app.add_typer(video_app, name="video")
plot_app = typer.Typer(no_args_is_help=True, help="Pictures of data and models.")
app.add_typer(plot_app, name="plot")


@plot_app.command("encoding-norms")
def plot_encoding_norms(
    data: Annotated[Path, typer.Option(help="Labelled data (any layout `train` accepts).")],
    out: Annotated[Path, typer.Option(help="PNG to write.")],
) -> None:
    """Histogram of face-encoding norms for real vs fake images."""
    with errors_exit_2():
        found = encode_samples(discover(data))
    missing = {name: sum(1 for s, _ in found.missing if s.label == value)
               for value, name in enumerate(("real", "fake"))}
    out.parent.mkdir(parents=True, exist_ok=True)
    save_encoding_norms(out, found.labels, found.encodings, missing, f"face-encoding norms: {data}")
    typer.echo(f"wrote {out} ({len(found.samples)} encodings; no face: {missing})")


@plot_app.command("confusions")
def plot_confusions(
    metrics: Annotated[list[Path], typer.Argument(help="metrics.json files written by `evaluate --out` or "
                                                  "`emotion evaluate --out`.")],
    out: Annotated[Path, typer.Option(help="PNG to write.")],
) -> None:
    """Confusion matrices side by side (e.g. one expression model on real and on AI-generated faces)."""
    panels = []
    for path in metrics:
        try:
            panels.append(confusion_panel(json.loads(path.read_text(encoding="utf-8")), path.parent.name))
        except (OSError, ValueError, KeyError) as exc:
            fail(f"{path}: not a metrics.json with a confusion matrix ({type(exc).__name__}: {exc})")
    out.parent.mkdir(parents=True, exist_ok=True)
    save_confusion_matrices(out, panels)
    typer.echo(f"wrote {out} ({len(panels)} confusion matrices)")


@app.command()
def detectors() -> None:
    """List the face detectors."""
    for name in list_detectors():
        typer.echo(name + (" (default)" if name == DEFAULT_DETECTOR else ""))


def _finder(detector: str, mode: str, threshold: float | None, size: int, all_faces: bool) -> FaceFinder:
    try:
        chosen = create_detector(detector, threshold=threshold)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--detector") from exc
    return FaceFinder(chosen, mode=crop_mode(mode), size=size, all_faces=all_faces)


def _emit_error(exc: MediaError, records: TextIO | None, only_records: bool) -> None:
    """A failed input is a line of the records (JSON Lines, so the file accounts for every input) and, unless
    the records are what stdout shows, a line on stderr."""
    if records:
        records.write(json.dumps({"input": exc.source, "error": exc.problem, "error_type": type(exc).__name__}) + "\n")
        records.flush()
    if not only_records:
        typer.echo(f"{exc.source}: error: {exc.problem}", err=True)


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


def _describe_scan(record: dict) -> str:
    """One line per input and one per face, from the verdict record (fresh or from the store)."""
    head = f"{record['input']}: {record['verdict'].upper()}"
    video = record.get("video")
    if video and record["p_fake"] is not None:
        head += (f" (P(fake) {record['p_fake']:.3f}: track {video['deciding_track']} by {video['aggregation']}; "
                 f"{len(video['tracks'])} track(s) in {len(video['frames'])} sampled frames)")
    elif record["p_fake"] is not None:
        head += f" (max P(fake) {record['p_fake']:.3f}, {len(record['faces'])} face(s))"
    if record.get("stored", {}).get("cached"):
        head += f" [stored scan #{record['stored']['id']}]"
    lines = [head]
    provenance = record.get("provenance")
    if provenance and (provenance["finding"] != "none" or provenance["error"]):
        lines.append(f"  provenance: {provenance['statement']}"
                     + (f" (unreadable: {provenance['error']})" if provenance["error"] else ""))
    if video:
        for track in video["tracks"]:
            frames = track["p_fake_frames"]
            lines.append(f"  track {track['id']}: {track['verdict']} P(fake) {track['p_fake']:.3f} over "
                         f"{len(frames)} frame(s) {track['times'][0]:.1f}-{track['times'][-1]:.1f} s, per frame "
                         f"{min(frames):.2f}-{max(frames):.2f}" + ("" if track["votes"] else " (too brief to vote)"))
        return "\n".join(lines)
    for k, face in enumerate(record["faces"], 1):
        where = f"frame {face['frame_index']} " if "frame_index" in face else ""
        box = ",".join(f"{v:.0f}" for v in face["box"])
        expression = f", looks {face['emotion']['label']}" if "emotion" in face else ""
        lines.append(f"  {where}face {k}: {face['verdict']} P(fake) {face['p_fake']:.3f} box {box} [{face['source']}]"
                     f"{expression}")
    return "\n".join(lines)


def _save_crops(result: FacesResult, path: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for frame in result.frames:
        for k, found in enumerate(frame.faces):
            frame_part = "" if frame.index is None else f".frame{frame.index:06d}"
            cv2.imwrite(str(folder / f"{path.name}{frame_part}.face{k}.png"),
                        cv2.cvtColor(found.crop, cv2.COLOR_RGB2BGR))

