"""The face record every detector returns and every later stage consumes."""

from __future__ import annotations

from dataclasses import dataclass, field

Point = tuple[float, float]


@dataclass
class Face:
    """A face box (x1, y1, x2, y2 in input pixels), its detector score and named landmarks if known.

    Landmarks use the names left_eye, right_eye, nose, mouth for every detector; "left"/"right" mean
    image-left/right, not the subject's.
    """

    box: tuple[float, float, float, float]
    score: float | None
    landmarks: dict[str, Point] = field(default_factory=dict)
    detector: str = ""

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)

    def scaled(self, factor: float) -> Face:
        """The same face in an image resized by `factor` (used to map detections back to the input)."""
        return Face(
            box=tuple(v * factor for v in self.box),  # type: ignore[arg-type]
            score=self.score,
            landmarks={k: (x * factor, y * factor) for k, (x, y) in self.landmarks.items()},
            detector=self.detector,
        )

    def shifted(self, dx: float, dy: float) -> Face:
        """The same face with its coordinates moved by (dx, dy) (used to undo a border)."""
        x1, y1, x2, y2 = self.box
        return Face(box=(x1 + dx, y1 + dy, x2 + dx, y2 + dy), score=self.score,
                    landmarks={k: (x + dx, y + dy) for k, (x, y) in self.landmarks.items()}, detector=self.detector)

    def to_dict(self) -> dict:
        return {
            "box": [round(v, 1) for v in self.box],
            "score": None if self.score is None else round(self.score, 4),
            "landmarks": {k: [round(x, 1), round(y, 1)] for k, (x, y) in self.landmarks.items()},
            "detector": self.detector,
        }
