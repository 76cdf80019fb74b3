"""The verdict record: one JSON-serialisable shape shared by the CLI, the API, the service and the store.

The schema is documented in docs/VERDICT_SCHEMA.md and checked by tests/detection/test_schema.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["real", "fake", "uncertain"]
SCHEMA_VERSION = "1"


def verdict_for(p_fake: float, threshold: float, uncertain_band: float) -> Verdict:
    """fake at or above threshold + band, real below threshold - band, uncertain in between."""
    if p_fake >= threshold + uncertain_band:
        return "fake"
    if p_fake < threshold - uncertain_band:
        return "real"
    return "uncertain"


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

    def to_dict(self) -> dict:
        record = {
            "box": [round(v, 1) for v in self.box],
            "detection_score": None if self.detection_score is None else round(self.detection_score, 4),
            "source": self.source,
            "p_fake": round(self.p_fake, 4),
            "verdict": self.verdict,
            "landmarks": {k: [round(x, 1), round(y, 1)] for k, (x, y) in self.landmarks.items()},
        }
        if self.frame_index is not None:
            record |= {"frame_index": self.frame_index, "time": None if self.time is None else round(self.time, 3)}
        if self.emotion is not None:
            record["emotion"] = self.emotion
        return record


@dataclass
class ScanResult:
    """Everything said about one input. `verdict` is the most suspicious face's, or "no_face"."""

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

    @property
    def p_fake(self) -> float | None:
        return max((f.p_fake for f in self.faces), default=None)

    @property
    def verdict(self) -> str:
        if not self.faces:
            return "no_face"
        order = {"fake": 2, "uncertain": 1, "real": 0}
        return max((f.verdict for f in self.faces), key=order.__getitem__)

    def to_dict(self) -> dict:
        return {
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
