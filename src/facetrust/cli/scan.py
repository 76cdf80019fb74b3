"""`facetrust scan` and `explain`: verdicts for images and videos, with evidence."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from facetrust.bundled import default_emotion_model_path
from facetrust.cli.support import crop_mode, emit_error, errors_exit_2, fail, open_store
from facetrust.errors import MediaError
from facetrust.explain import EXPLAIN_METHODS

if TYPE_CHECKING:
    from facetrust.detection.verdict import ScanResult

# which route judged a face of a routed detector (the record's evidence key), as the web page words it too
ROUTE_NOTES = {"soft": "soft face: judged by the branch trained on blurred photos",
               "grainy": "grainy face: smoothed, then judged by the branch trained on blurred photos"}


def scan(
    inputs: Annotated[list[Path], typer.Argument(help="Image/video files or folders (walked recursively).")],
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the bundled detector).")] = None,
    threshold: Annotated[float | None, typer.Option(help="Decision threshold for faces and images (default: the "
                                                    "model's).")] = None,
    video_threshold: Annotated[float | None, typer.Option(help="Decision threshold for videos (default: the video "
                                                          "model's, else the image model's).")] = None,
    uncertain_band: Annotated[float | None, typer.Option(help="Half-width of the 'uncertain' band around both "
                                                         "thresholds (default: 0.1).")] = None,
    smallest_face: Annotated[int | None, typer.Option(min=0, help="Judge faces down to this size (pixels, the face "
                                                      "box's shorter side; 0: every face). Default: the model's "
                                                      "smallest judged face, below which faces are uncertain: "
                                                      "smaller ones were not shown to be judged reliably.")] = None,
    noise_ceiling: Annotated[float | None, typer.Option(min=0.0, help="Call faces real up to this grain (a face's "
                                                        "noise_level in --json; 0: however grainy). Default: the "
                                                        "model's noise ceiling, over which a face is uncertain "
                                                        "rather than real: grain hides fakes.")] = None,
    agree: Annotated[bool, typer.Option("--agree", help="Call a photo's face fake only if the bundled detector's "
                                        "soft branch (trained on blurred photos), asked for a second opinion, says "
                                        "fake too; else uncertain. For video stills and re-saved photos: on coded "
                                        "validation faces it removed 4 in 5 false accusations of real faces and "
                                        "withheld 1 in 5 accusations of fakes (docs/VERDICT_SCHEMA.md, "
                                        "'Agreement'). Routed models only.")] = False,
    frames: Annotated[int | None, typer.Option(help="Frames sampled uniformly from each video or animated image "
                                               "(default: the video model's, else 16).")] = None,
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
    detector: Annotated[str | None, typer.Option(
        "--detector", "-d", help="Override the model's face finder (see `facetrust detectors`). The bundled "
        "detector's is the cascade: MTCNN's own faces, MTCNN running only around the faces BlazeFace "
        "finds where it is sure; 0.4-0.85 of the time of the whole of MTCNN.")] = None,
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
    from tqdm import tqdm

    from facetrust.batch.local import scan_many
    from facetrust.batch.ray_engine import scan_on_ray
    from facetrust.detection.scanner import ScanSettings
    from facetrust.faces.detectors import known_detector
    from facetrust.media.files import expand_inputs

    if engine not in ("local", "ray"):
        raise typer.BadParameter(f"{engine!r} is not one of local, ray", param_hint="--engine")
    if detector is not None:
        try:
            known_detector(detector)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--detector") from exc
    expressions = emotion_model or (default_emotion_model_path() if emotion else None)
    settings = ScanSettings(model=str(model) if model else None, threshold=threshold, video_threshold=video_threshold,
                            uncertain_band=uncertain_band, smallest_face=smallest_face, noise_ceiling=noise_ceiling,
                            agree=agree,
                            frames=frames, face_mode=crop_mode(face_mode) if face_mode else None, detector=detector,
                            emotion=str(expressions) if expressions else None,
                            video_model=str(video_model) if video_model and temporal else None if temporal else False,
                            explain=explain_method if explain else None, fps=fps, provenance=provenance)
    if explain and engine == "ray":
        fail("--explain runs with the local engine only")
    with errors_exit_2():
        scanner = settings.scanner()
    store = open_store(db) if db else None
    failed = 0
    with ExitStack() as stack:
        to_stdout = str(json_out) == "-"
        if not to_stdout:
            info = scanner.model_info
            typer.echo(f"model {info['name']} ({info['version']}, {info['backend']}): {_rule_text(info)}")
            if "frame_model" in info["video"]:
                frames = info["video"]["frame_model"]
                typer.echo(f"video faces by frame model {frames['name']} ({frames['version']}): {_rule_text(frames)}")
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
                emit_error(outcome, records, to_stdout)
                continue
            record = outcome.to_dict()
            if explain:
                _write_explanation(explain, outcome, record, explain_method)
            if timeline and "video" in record:
                _save_timeline(_timeline_path(timeline, record, len(paths)), record)
            if records:
                records.write(json.dumps(record) + "\n")
                records.flush()
            if not to_stdout:
                typer.echo(_describe_scan(record))
    raise typer.Exit(1 if failed else 0)


def _rule_text(rule: dict) -> str:
    """A decision rule of `Scanner.model_info` (threshold and band) in words."""
    yours = rule.get("smallest_face_source") == "override"
    if rule.get("smallest_face"):
        floor = f" (and for every face under {rule['smallest_face']} px{' (your --smallest-face)' if yours else ''})"
    else:
        floor = " (every face judged, however small: your --smallest-face 0)" if yours else ""
    own_ceiling = rule.get("noise_ceiling_source") == "override"
    if rule.get("noise_ceiling"):
        yours_too = " (your --noise-ceiling)" if own_ceiling else ""
        grain = f" and the face's grain at most {rule['noise_ceiling']:g}{yours_too}"
    else:
        grain = " (however grainy: your --noise-ceiling 0)" if own_ceiling else ""
    agreed = " and, for a photo's face, the soft branch's P(fake) too (your --agree)" if rule.get("agree") else ""
    return (f"fake if P(fake) >= {rule['threshold'] + rule['uncertain_band']:.2f}{agreed}, "
            f"real if < {rule['threshold'] - rule['uncertain_band']:.2f}{grain}, uncertain in between{floor}")


def explain(
    source: Annotated[Path, typer.Argument(help="An image or video.")],
    out: Annotated[Path, typer.Option(help="PNG to write: each face crop above its heatmap.")],
    method: Annotated[str, typer.Option(help=f"Heatmap method: {', '.join(EXPLAIN_METHODS)}.")] = "gradcam",
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the bundled detector).")] = None,
) -> None:
    """Show where in each face the detector found what raised P(fake) (class-activation heatmaps)."""
    from facetrust.detection.scanner import Scanner

    with errors_exit_2():
        result = Scanner(model, explain=method).scan(source)
    record = result.to_dict()
    _write_explanation(out.parent, result, record, method, out)
    typer.echo(_describe_scan(record))
    if not result.faces:
        fail(f"{source}: no face found, nothing to explain")
    typer.echo(f"heatmaps written to {out}")


def _save_timeline(path: Path, record: dict) -> None:
    from facetrust.video.timeline import save_timeline  # matplotlib loads only when a timeline is drawn

    save_timeline(path, record)


def _write_explanation(folder: Path, result: ScanResult, record: dict, method: str, path: Path | None = None) -> None:
    """`path` (default `<input stem>-<sha256 prefix>.png` in `folder`) with the explained faces; each face's
    record names the picture."""
    from facetrust.explain import save_explanation

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


def _describe_segments(segments: list[dict]) -> str:
    """Where a track's frames reach the face threshold: "; at or above the threshold: 1.1, 7.1-7.9 s (3 frames)"."""
    if not segments:
        return ""
    spans = ", ".join(f"{s['start']:.1f}" if s["start"] == s["end"] else f"{s['start']:.1f}-{s['end']:.1f}"
                      for s in segments)
    count = sum(s['frames'] for s in segments)
    return f"; at or above the threshold: {spans} s ({count} frame{'' if count == 1 else 's'})"


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
    lines = [head] + [f"  note: {note}" for note in record.get("notes", [])]
    provenance = record.get("provenance")
    if provenance and (provenance["finding"] != "none" or provenance["error"]):
        lines.append(f"  provenance: {provenance['statement']}"
                     + (f" (unreadable: {provenance['error']})" if provenance["error"] else ""))
    if video:
        for track in video["tracks"]:
            frames = track["p_fake_frames"]
            lines.append(f"  track {track['id']}: {track['verdict']} P(fake) {track['p_fake']:.3f} over "
                         f"{len(frames)} frame(s) {track['times'][0]:.1f}-{track['times'][-1]:.1f} s, per frame "
                         f"{min(frames):.2f}-{max(frames):.2f}" + ("" if track["votes"] else " (too brief to vote)")
                         + _describe_segments(track.get("segments", [])))
        return "\n".join(lines)
    for k, face in enumerate(record["faces"], 1):
        where = f"frame {face['frame_index']} " if "frame_index" in face else ""
        box = ",".join(f"{v:.0f}" for v in face["box"])
        expression = f", looks {face['emotion']['label']}" if "emotion" in face else ""
        side = min(face["box"][2] - face["box"][0], face["box"][3] - face["box"][1])
        floor = record["model"].get("smallest_face")
        ceiling = record["model"].get("noise_ceiling")
        small = f" (under {floor} px: too small to judge)" if floor and side < floor else ""
        said_real = face["p_fake"] < record["model"]["threshold"] - record["model"]["uncertain_band"]
        if ceiling and face.get("noise_level", 0) > ceiling and said_real and not small:
            small = f" (grain {face['noise_level']:g}, over {ceiling:g}: too grainy to call real)"
        route = "".join(f" ({note})" for key, note in ROUTE_NOTES.items() if key in face.get("evidence", {}))
        if "second_opinion" in face:
            route += f" (second opinion, soft branch: P(fake) {face['second_opinion']['p_fake']:.3f})"
        lines.append(f"  {where}face {k}: {face['verdict']}{small} P(fake) {face['p_fake']:.3f} box {box} "
                     f"[{face['source']}]{expression}{route}")
    return "\n".join(lines)
