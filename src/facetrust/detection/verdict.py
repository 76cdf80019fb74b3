"""The verdict record: one JSON-serialisable shape shared by the CLI, the API, the service and the store.

The schema is documented in docs/VERDICT_SCHEMA.md and checked by tests/detection/test_schema.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from facetrust.detection.decision import DecisionRule, Verdict

SCHEMA_VERSION = "1"
SUSPICION = {"fake": 2, "uncertain": 1, "real": 0}  # which verdict speaks for an input with several faces or tracks


@dataclass
class FaceVerdict:
    """One face: where it is, how it was found, and what the model says about it."""

    box: tuple[float, float, float, float]
    detection_score: float | None
    source: str
    p_fake: float
    verdict: Verdict
    landmarks: dict[str, tuple[float, float]] = field(default_factory=dict)
    frame_index: int | None = None
    time: float | None = None
    emotion: dict | None = None  # {"label", "scores"} when an expression model was asked for
    evidence: dict[str, float] | None = None  # per-branch shares of the calibrated logit (two-branch models)
    track: int | None = None  # videos: the face track this face belongs to
    noise: float | None = None  # the face crop's grain (facetrust.media.quality.noise_level)
    second_opinion: float | None = None  # with --agree: the soft branch's P(fake) for a face the sharp one accused
    crop: np.ndarray | None = field(default=None, repr=False)  # kept only when the face is explained
    heatmap: np.ndarray | None = field(default=None, repr=False)  # (H, W) in [0, 1], with Scanner(explain=...)

    @property
    def shorter_side(self) -> float:
        """The face box's shorter side in input pixels: what a model's smallest judged face is compared with."""
        return min(self.box[2] - self.box[0], self.box[3] - self.box[1])

    def to_dict(self) -> dict:
        record = {
            "box": [round(v, 1) for v in self.box],
            "detection_score": None if self.detection_score is None else round(self.detection_score, 4),
            "source": self.source,
            "p_fake": round(self.p_fake, 4),
            "verdict": self.verdict,
            "landmarks": {k: [round(x, 1), round(y, 1)] for k, (x, y) in self.landmarks.items()},
        }
        if self.noise is not None:
            record["noise_level"] = round(self.noise, 2)
        if self.second_opinion is not None:
            record["second_opinion"] = {"branch": "soft", "p_fake": round(self.second_opinion, 4)}
        if self.evidence is not None:
            record["evidence"] = {name: round(share, 4) for name, share in self.evidence.items()}
        if self.frame_index is not None:
            record |= {"frame_index": self.frame_index, "time": None if self.time is None else round(self.time, 3)}
        if self.track is not None:
            record["track"] = self.track
        if self.emotion is not None:
            record["emotion"] = self.emotion
        return record


@dataclass(frozen=True)
class Segment:
    """A run of successive frames of one track whose faces the image model scored at or above its threshold:
    where in the clip the evidence of a fake is."""

    start: float  # time of its first frame, seconds
    end: float  # time of its last frame
    frames: int
    p_fake_mean: float
    excess: float  # sum over its frames of P(fake) minus the threshold: how much evidence it holds

    def to_dict(self) -> dict:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "frames": self.frames,
                "p_fake_mean": round(self.p_fake_mean, 4)}


def fake_segments(times: list[float], p_fake_frames: list[float], threshold: float) -> list[Segment]:
    """The runs of successive track frames with P(fake) >= `threshold`, in time order."""
    segments, run = [], []
    for k, p in enumerate([*p_fake_frames, -1.0]):  # the sentinel closes a run that reaches the last frame
        if p >= threshold:
            run.append(k)
        elif run:
            scores = [p_fake_frames[i] for i in run]
            segments.append(Segment(times[run[0]], times[run[-1]], len(run), float(np.mean(scores)),
                                    float(sum(scores) - threshold * len(run))))
            run = []
    return segments


@dataclass
class TrackVerdict:
    """One person in a video: their face in each sampled frame where it was found, and one score."""

    id: int
    frame_indices: list[int]
    times: list[float]
    p_fake_frames: list[float]  # the image model's P(fake) per frame
    p_fake: float  # the track's score (temporal model, or mean of frames)
    verdict: Verdict
    votes: bool  # long enough to decide the video's verdict
    emotions: list[str] | None = None  # the expression per frame, with --emotion
    segments: list[Segment] = field(default_factory=list)  # its frames at or above the face threshold

    @property
    def strongest_segment(self) -> Segment | None:
        return max(self.segments, key=lambda s: s.excess, default=None)

    def to_dict(self) -> dict:
        record = {"id": self.id, "frame_indices": self.frame_indices, "times": [round(t, 3) for t in self.times],
                  "p_fake_frames": [round(p, 4) for p in self.p_fake_frames], "p_fake": round(self.p_fake, 4),
                  "verdict": self.verdict, "votes": self.votes, "segments": [s.to_dict() for s in self.segments]}
        return record | {"emotions": self.emotions} if self.emotions is not None else record


@dataclass
class VideoVerdict:
    """A video's answer: the most suspicious voting track decides."""

    frames: list[tuple[int, float]]  # (index, time) of every sampled frame
    tracks: list[TrackVerdict]
    aggregation: str  # the temporal model's kind, or "mean_of_frames"
    rule: DecisionRule  # the video decision rule the tracks were judged by

    @property
    def deciding(self) -> TrackVerdict | None:
        """The voting track with the most suspicious verdict (fake > uncertain > real), then the highest P(fake):
        a track of faces too small to judge is uncertain whatever its score, and outranks a judged real one."""
        return max((t for t in self.tracks if t.votes), key=lambda t: (SUSPICION[t.verdict], t.p_fake), default=None)

    def to_dict(self) -> dict:
        deciding = self.deciding
        segment = None if deciding is None else deciding.strongest_segment
        return {"frames": [{"index": i, "time": round(t, 3)} for i, t in self.frames],
                "aggregation": self.aggregation, **self.rule.to_dict(),
                "p_fake": None if deciding is None else round(deciding.p_fake, 4),
                "verdict": "no_face" if deciding is None else deciding.verdict,
                "deciding_track": None if deciding is None else deciding.id,
                "deciding_segment": None if segment is None else {"track": deciding.id, **segment.to_dict()},
                "tracks": [t.to_dict() for t in self.tracks]}


@dataclass
class ScanResult:
    """Everything said about one input. `verdict` is the most suspicious face's (for a video, the most
    suspicious voting track's), or "no_face"."""

    input: str
    sha256: str
    kind: str
    width: int
    height: int
    faces: list[FaceVerdict]
    model: dict
    timings_ms: dict[str, float]
    notes: list[str] = field(default_factory=list)
    size_bytes: int = 0
    video: VideoVerdict | None = None
    provenance: dict | None = None  # what the file declares about its origin (`facetrust.provenance`)

    @property
    def p_fake(self) -> float | None:
        if self.video is not None:
            deciding = self.video.deciding
            return None if deciding is None else deciding.p_fake
        return max((f.p_fake for f in self.faces), default=None)

    @property
    def verdict(self) -> str:
        if self.video is not None:
            deciding = self.video.deciding
            return "no_face" if deciding is None else deciding.verdict
        if not self.faces:
            return "no_face"
        return max((f.verdict for f in self.faces), key=SUSPICION.__getitem__)

    def to_dict(self) -> dict:
        record = {
            "schema_version": SCHEMA_VERSION,
            "input": self.input,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "kind": self.kind,
            "width": self.width,
            "height": self.height,
            "verdict": self.verdict,
            "p_fake": None if self.p_fake is None else round(self.p_fake, 4),
            "faces": [f.to_dict() for f in self.faces],
            "model": self.model,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "notes": self.notes,
        }
        if self.video is not None:
            record["video"] = self.video.to_dict()
        if self.provenance is not None:  # evidence beside the pixels, and one line that states both
            record["provenance"] = self.provenance
            record["summary"] = f"pixels: {self.verdict}; provenance: {self.provenance['statement']}"
        return record
