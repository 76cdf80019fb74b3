"""Per-track frame features: what the image detector sees in each face of a track, for temporal models.

A frame's input to a temporal model is the image model's penultimate features, its logit and, when
asked for, the expression probabilities of the face. Datasets cache the main track of each video (with
its expressions) by file content and settings, so training several temporal models never re-runs
detection or the backbone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facetrust.cache import OutcomeCache
from facetrust.emotion.annotate import EmotionReader
from facetrust.errors import DecodeTimeoutError, MediaError
from facetrust.faces.stage import FacesResult, find_faces
from facetrust.models.checkpoint import LoadedModel
from facetrust.video.tracks import Track, link_tracks

EMOTION_COLUMNS = 7
_FIXED_COLUMNS = 7  # time, frame index, box (4), logit


@dataclass
class TrackSequence:
    """One track's sampled frames in time order, with what the image model said about each face."""

    track: int
    times: np.ndarray  # (T,) seconds
    frame_indices: np.ndarray  # (T,)
    boxes: np.ndarray  # (T, 4)
    features: np.ndarray  # (T, D) penultimate features of the image model
    logits: np.ndarray  # (T,) image model logits
    emotions: np.ndarray | None = None  # (T, 7) expression probabilities

    def __len__(self) -> int:
        return len(self.times)

    @property
    def mean_area(self) -> float:
        return float(np.mean((self.boxes[:, 2] - self.boxes[:, 0]) * (self.boxes[:, 3] - self.boxes[:, 1])))

    def inputs(self, with_emotion: bool = False) -> np.ndarray:
        """(T, D + 1 [+ 7]) float32 frame inputs of a temporal model."""
        columns = [self.features, self.logits[:, None]]
        if with_emotion:
            if self.emotions is None:
                raise ValueError("this track has no expression probabilities")
            columns.append(self.emotions)
        return np.concatenate(columns, axis=1).astype(np.float32)

    def pack(self) -> np.ndarray:
        emotions = self.emotions if self.emotions is not None else np.zeros((len(self), 0))
        return np.concatenate([self.times[:, None], self.frame_indices[:, None], self.boxes, self.logits[:, None],
                               emotions, self.features], axis=1).astype(np.float32)

    @classmethod
    def unpack(cls, array: np.ndarray, with_emotion: bool, track: int = 1) -> TrackSequence:
        start = _FIXED_COLUMNS + (EMOTION_COLUMNS if with_emotion else 0)
        return cls(track, array[:, 0].astype(float), array[:, 1].astype(int), array[:, 2:6], array[:, start:],
                   array[:, 6], array[:, _FIXED_COLUMNS:start] if with_emotion else None)


def track_sequences(found: FacesResult, model: LoadedModel, emotion: EmotionReader | None = None,
                    tracks: list[Track] | None = None,
                    frame_features: tuple[np.ndarray, np.ndarray] | None = None) -> list[TrackSequence]:
    """A sequence per face track of a scanned video (tracks linked here unless given).

    `frame_features`: the image model's (features, logits) of every face in frame order, when the caller
    already ran it (the scanner does, so a video's faces go through the network once).
    """
    tracks = tracks if tracks is not None else link_tracks([[f.face.box for f in frame.faces]
                                                            for frame in found.frames])
    faces = [(found.frames[position], found.frames[position].faces[index])
             for track in tracks for position, index in track.members]
    if not faces:
        return []
    if frame_features is None:
        features, logits = model.features([face.crop for _, face in faces])
    else:
        row = {position: r for r, position in enumerate(found.face_positions())}
        order = [row[member] for track in tracks for member in track.members]
        features, logits = frame_features[0][order], frame_features[1][order]
    emotions = emotion.probabilities([face for _, face in faces], [(found.width, found.height)] * len(faces)
                                     ) if emotion else None
    sequences, start = [], 0
    for track in tracks:
        rows = slice(start, start + len(track.members))
        members = faces[rows]
        sequences.append(TrackSequence(
            track.id, np.array([frame.time for frame, _ in members], float),
            np.array([frame.index for frame, _ in members], int),
            np.array([face.face.box for _, face in members], float).reshape(-1, 4),
            features[rows], logits[rows], None if emotions is None else emotions[rows]))
        start = rows.stop
    return sequences


def main_track(sequences: list[TrackSequence]) -> TrackSequence | None:
    """The track seen in the most frames (ties: the larger face): in FaceForensics++ the manipulated one."""
    return max(sequences, key=lambda s: (len(s), s.mean_area), default=None)


class MainTrackCache:
    """The main track of each video, per file content and extraction settings; the reason when there is none.

    Expression probabilities (the bundled expression model) are always stored: they cost ~1% of the
    detection time, and the expression-consistency study then needs no second pass over the videos.
    """

    def __init__(self, model: LoadedModel, frames: int) -> None:
        self.model, self.frames = model, frames
        self.emotion = EmotionReader(None, model.card.faces.margin)
        self.finder = model.face_finder(all_faces=True)
        settings = {"image_model": model.weights_sha256, "faces": model.card.faces.model_dump(), "frames": frames,
                    "emotion": self.emotion.model.version, "format": 1}
        self.cache = OutcomeCache("video-main-tracks", settings)

    def get(self, path: Path) -> tuple[str, TrackSequence | str]:
        """The video's sha256 and its main track, or why there is none (unreadable, no face in any frame)."""
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        cached = self.cache.get(digest)
        if cached is None:
            try:
                cached = self._extract(data, path.name)
            except DecodeTimeoutError as exc:  # depends on the machine's load, not the file: not cached
                return digest, str(exc)
            self.cache.put(digest, cached if isinstance(cached, str) else cached.pack())
            return digest, cached
        return digest, cached if isinstance(cached, str) else TrackSequence.unpack(cached, with_emotion=True)

    def _extract(self, data: bytes, name: str) -> TrackSequence | str:
        try:
            found = find_faces(data, self.finder, name=name, frames=self.frames)
        except DecodeTimeoutError:
            raise
        except MediaError as exc:
            return str(exc)
        track = main_track(track_sequences(found, self.model, self.emotion))
        return track if track is not None else "no face in any sampled frame"
