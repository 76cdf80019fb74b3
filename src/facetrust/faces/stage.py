"""The face stage: read an input once, decode it (an image, or sampled video frames) and find every face.

Everything that needs faces (scanning, training crops, video features) starts here; it knows nothing of
models or verdicts."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facetrust.errors import MediaError, ProcessingError
from facetrust.faces.finder import FaceFinder, FoundFace
from facetrust.media import (
    DEFAULT_LIMITS,
    MediaInput,
    MediaLimits,
    decode_image,
    probe_video,
    read_ahead,
    read_input,
    sample_frames,
    sniff_kind,
)
from facetrust.media.animation import is_animation, sample_animation
from facetrust.provenance import read_provenance

Source = str | Path | bytes | np.ndarray | MediaInput


@dataclass
class FrameFaces:
    """Faces found in one image or one sampled video frame (`index`/`time` are None for images)."""

    index: int | None
    time: float | None
    faces: list[FoundFace]

    def to_dict(self) -> dict:
        return {"index": self.index, "time": None if self.time is None else round(self.time, 3),
                "faces": [f.to_dict() for f in self.faces]}


@dataclass
class FacesResult:
    """Every face in one input. An empty `frames[*].faces` is the normal "no face found" result."""

    name: str
    sha256: str
    kind: str
    width: int
    height: int
    frames: list[FrameFaces]
    notes: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    size_bytes: int = 0
    provenance: dict | None = None  # `facetrust.provenance` block, when asked for

    @property
    def face_count(self) -> int:
        return sum(len(f.faces) for f in self.frames)

    def face_positions(self) -> list[tuple[int, int]]:
        """(frame position, face index) of every face in frame order: the order its faces are scored in."""
        return [(p, i) for p, frame in enumerate(self.frames) for i in range(len(frame.faces))]

    def to_dict(self) -> dict:
        record = {"input": self.name, "sha256": self.sha256, "kind": self.kind,
                  "width": self.width, "height": self.height, "notes": self.notes}
        if self.kind == "image":
            record["faces"] = [f.to_dict() for f in self.frames[0].faces]
        else:
            record["frames"] = [f.to_dict() for f in self.frames]
        return record


def load_input(source: Source, name: str | None = None, limits: MediaLimits = DEFAULT_LIMITS) -> MediaInput:
    """Read a path or bytes once (size-capped); arrays are encoded losslessly so they hash like files; an
    input already read is passed through."""
    if isinstance(source, MediaInput):
        return source
    if isinstance(source, np.ndarray):
        import cv2

        ok, png = cv2.imencode(".png", cv2.cvtColor(_as_rgb8(source), cv2.COLOR_RGB2BGR))
        if not ok:
            raise ValueError("could not encode the array as an image")
        return read_input(png.tobytes(), name or "<array>", limits)
    return read_input(source, name, limits)


def find_faces(source: Source, finder: FaceFinder | None = None, *, name: str | None = None,
               frames: int = 16, limits: MediaLimits = DEFAULT_LIMITS, fps: float | None = None,
               provenance: bool = False) -> FacesResult:
    """Detect and align every face in an image, or in `frames` uniformly sampled frames of a video (with
    `fps`: one frame every 1/fps seconds, at most `frames`, spread over the whole video if that caps it);
    with `provenance`, also read what the file declares about its origin (C2PA, XMP, generator metadata)."""
    finder = finder or FaceFinder()
    started = time.perf_counter()
    media = load_input(source, name, limits)
    timings = {"detect": 0.0, "align": 0.0}

    def faces_in(pixels: np.ndarray) -> list[FoundFace]:
        return finder.find(pixels, timings)

    image = decode_image(media, limits) if sniff_kind(media) == "image" else None
    if image is not None and is_animation(image):  # judged as a video: its frames sampled over the loop
        info, sampled = sample_animation(media, image, count=None if fps else frames, fps=fps, max_frames=frames,
                                         limits=limits)
        found = [FrameFaces(frame.index, frame.time, faces_in(frame.pixels)) for frame in sampled]
        notes = [*image.notes, f"animated {image.format} judged as a video: {len(found)} of its {image.frames} frames "
                 f"sampled over its {info.duration:g} s loop"]
        result = FacesResult(media.name, media.sha256, "video", *image.size, found, notes)
    elif image is not None:
        more = [f"{image.format} holds {image.frames} pictures: the first judged"] if image.frames > 1 else []
        result = FacesResult(media.name, media.sha256, "image", *image.size,
                             [FrameFaces(None, None, faces_in(image.pixels))], image.notes + more)
    else:
        info = probe_video(media, limits)
        sampled = sample_frames(media, count=None if fps else frames, fps=fps, max_frames=frames, limits=limits)
        found, turns, interlaced = [], set(), 0
        for frame in read_ahead(sampled):
            found.append(FrameFaces(frame.index, frame.time, faces_in(frame.pixels)))
            turns.add(frame.rotation)
            interlaced += frame.interlaced
        notes = [] if found else ["no frame could be decoded"]
        notes += [f"display rotation applied: frames turned {angle} degrees counterclockwise, as a player shows them"
                  for angle in sorted(turns - {0})]
        if interlaced:
            notes.append(f"interlaced video: {interlaced} of {len(found)} sampled frames deinterlaced (rebuilt from "
                         "one field), since combing reads as a fake's trace")
        width, height = (info.height, info.width) if turns & {90, 270} else (info.width, info.height)
        result = FacesResult(media.name, media.sha256, "video", width, height, found, notes)
    if provenance:
        read_started = time.perf_counter()
        result.provenance = read_provenance(media.data).to_dict()
        timings["provenance"] = 1000 * (time.perf_counter() - read_started)
    decode_ms = 1000 * (time.perf_counter() - started) - sum(timings.values())
    result.timings_ms = {"decode": decode_ms, **timings}
    result.size_bytes = len(media.data)
    return result


def find_faces_or_error(source: Source, finder: FaceFinder, *, name: str | None = None, frames: int = 16,
                        limits: MediaLimits = DEFAULT_LIMITS, fps: float | None = None,
                        provenance: bool = False) -> FacesResult | MediaError:
    """`find_faces` for batches: any failure comes back as a MediaError naming the input, never raised."""
    try:
        return find_faces(source, finder, name=name, frames=frames, limits=limits, fps=fps, provenance=provenance)
    except MediaError as exc:
        return exc
    except Exception as exc:  # one bad file must never stop a batch; the message keeps the cause
        label = name or (str(source) if isinstance(source, str | Path) else getattr(source, "name", "<bytes>"))
        return ProcessingError(label, f"unexpected {type(exc).__name__}: {exc}")


def _as_rgb8(array: np.ndarray) -> np.ndarray:
    if array.dtype != np.uint8:
        raise ValueError(f"arrays must be uint8 RGB (H, W, 3), got dtype {array.dtype}")
    if array.ndim == 2:
        return np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(f"arrays must be (H, W, 3) RGB, got shape {array.shape}")
    return array[..., :3]
