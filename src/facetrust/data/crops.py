"""Turning a folder of images/videos into a dataset of aligned face crops, resumably.

Each finished source file is appended to a journal (one JSON line, fsynced) after its crops are on
disk, so an interrupted run loses at most the file in progress, and a re-run skips everything the
journal lists except decoding time-outs (they depend on the machine's load, so they are tried again).
The manifest CSV is rebuilt from the journal at the end, and on interruption.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import cv2
from pydantic import ValidationError
from tqdm import tqdm

from facetrust.atomic import atomic_write
from facetrust.data.layout import label_of, split_of
from facetrust.errors import DecodeTimeoutError, FacetrustError, MediaError, validation_problems
from facetrust.faces import DEFAULT_DETECTOR
from facetrust.faces.face_crop import FaceCrop
from facetrust.faces.finder import CropMode, FaceFinder
from facetrust.faces.stage import find_faces_or_error
from facetrust.media.files import media_files
from facetrust.settings_lock import pin_settings

JOURNAL = "crop_journal.jsonl"
SETTINGS = "crop_settings.json"
MANIFEST = "manifest.csv"
PROBLEMS = "problems.csv"
MANIFEST_COLUMNS = ["crop", "source", "label", "split", "frame_index", "time", "face_index",
                    "x1", "y1", "x2", "y2", "score", "detector", "face_source"]


@dataclass(frozen=True)
class CropSettings:
    """Everything that changes the crops; a destination only ever holds crops made with one setting."""

    size: int = 224
    margin: float = 0.3
    detector: str = DEFAULT_DETECTOR
    mode: CropMode = "auto"
    frames_per_video: int = 16
    all_faces: bool = False

    def face_crop(self) -> FaceCrop:
        """The crops these settings make, validated (a bad detector, mode, size or margin is named)."""
        try:
            return FaceCrop(detector=self.detector, mode=self.mode, size=self.size, margin=self.margin)
        except ValidationError as exc:
            raise FacetrustError(f"crop settings: {validation_problems(exc.errors())}") from None


@dataclass
class CropSummary:
    """Counts for one run; `problems` lists (source, status, message) for unreadable or faceless files."""

    total: int = 0
    skipped: int = 0
    ok: int = 0
    no_face: int = 0
    errors: int = 0
    crops: int = 0
    interrupted: bool = False
    problems: list[tuple[str, str, str]] = field(default_factory=list)


def crop_dataset(src: str | Path, dest: str | Path, settings: CropSettings = CropSettings(),
                 progress: bool = True) -> CropSummary:
    """Crop every face of every media file under `src` into `dest`, keeping the folder structure."""
    src, dest = Path(src), Path(dest)
    if not src.is_dir():
        raise FacetrustError(f"{src}: not a folder")
    finder = settings.face_crop().finder(all_faces=settings.all_faces)  # a bad setting fails before anything is written
    dest.mkdir(parents=True, exist_ok=True)
    pin_settings(dest / SETTINGS, settings, f"{dest} holds crops made with other settings")
    done = read_journal(dest / JOURNAL)
    files = media_files(src)
    summary = CropSummary(total=len(files))
    todo = [f for f in files if f.relative_to(src).as_posix() not in done
            or done[f.relative_to(src).as_posix()]["status"] == "timeout"]
    summary.skipped = len(files) - len(todo)
    bar = tqdm(todo, desc="cropping", unit="file", disable=not progress)
    try:
        with open(dest / JOURNAL, "a", encoding="utf-8") as journal:
            for path in bar:
                entry = _crop_file(path, PurePath(path.relative_to(src).as_posix()), finder, settings, dest)
                journal.write(json.dumps(entry) + "\n")
                journal.flush()
                os.fsync(journal.fileno())
                done[entry["source"]] = entry
                _count(summary, entry)
                bar.set_postfix(ok=summary.ok, no_face=summary.no_face, errors=summary.errors)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        bar.close()
        write_manifest(dest, done)
    summary.problems = [(e["source"], e["status"], e.get("error", "")) for e in done.values()
                        if e["status"] != "ok"]
    return summary


def read_journal(path: Path) -> dict[str, dict]:
    """Finished sources by relative path; a torn last line (killed mid-write) is ignored and redone."""
    done: dict[str, dict] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            done[entry["source"]] = entry
    return done


def write_manifest(dest: Path, done: dict[str, dict]) -> None:
    """Rewrite manifest.csv and problems.csv from the journal (atomically, via a temporary file)."""
    rows = [row for entry in done.values() for row in entry["crops"]]
    _write_csv(dest / MANIFEST, MANIFEST_COLUMNS, rows)
    problems = [{"source": e["source"], "status": e["status"], "error": e.get("error", "")}
                for e in done.values() if e["status"] != "ok"]
    _write_csv(dest / PROBLEMS, ["source", "status", "error"], problems)


def _crop_file(path: Path, relative: PurePath, finder: FaceFinder, settings: CropSettings,
               dest: Path) -> dict:
    entry: dict = {"source": relative.as_posix(), "crops": []}
    result = find_faces_or_error(path, finder, frames=settings.frames_per_video)
    if isinstance(result, MediaError):
        # a time-out depends on the machine's load, not the file: journalled, but tried again next run
        status = "timeout" if isinstance(result, DecodeTimeoutError) else "error"
        return {**entry, "status": status, "error": str(result)}
    for frame in result.frames:
        for k, found in enumerate(frame.faces):
            name = (f"{relative.name}.face{k}.png" if frame.index is None
                    else f"{relative.name}/frame{frame.index:06d}.face{k}.png")
            crop_path = relative.parent / name
            (dest / crop_path).parent.mkdir(parents=True, exist_ok=True)
            if not cv2.imwrite(str(dest / crop_path), cv2.cvtColor(found.crop, cv2.COLOR_RGB2BGR)):
                return {**entry, "status": "error", "error": f"{dest / crop_path}: could not write crop"}
            x1, y1, x2, y2 = (round(v, 1) for v in found.face.box)
            entry["crops"].append({
                "crop": crop_path.as_posix(), "source": relative.as_posix(), "label": label_of(relative),
                "split": split_of(relative), "frame_index": frame.index, "face_index": k,
                "time": None if frame.time is None else round(frame.time, 3),
                "x1": x1, "y1": y1, "x2": x2, "y2": y2, "score": found.face.score,
                "detector": found.face.detector, "face_source": found.source,
            })
    return {**entry, "status": "ok" if entry["crops"] else "no_face"}


def _count(summary: CropSummary, entry: dict) -> None:
    summary.crops += len(entry["crops"])
    if entry["status"] == "ok":
        summary.ok += 1
    elif entry["status"] == "no_face":
        summary.no_face += 1
    else:
        summary.errors += 1


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with atomic_write(path) as partial, open(partial, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
