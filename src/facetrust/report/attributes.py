"""Attributes of each evaluated face for per-group slices: automatic annotators and a user's CSV.

Automatic attributes, each bucketed with edges fixed here (never fitted to the data being judged):
- `expression`: the bundled expression model's most likely class, as valence: positive (happy,
  surprise), negative (angry, disgust, fear, sad) or neutral;
- `eyeglasses`: a horizontal edge across the nose bridge between the eyes, located with dlib's 68
  landmarks (a frame's bridge crosses it; skin does not; hair across the face can);
- `face_size`: the face box's longer side in input pixels;
- `sharpness`: variance of the Laplacian of the face crop (blur and heavy compression lower it).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from facetrust.cache import OutcomeCache
from facetrust.emotion.annotate import EmotionReader
from facetrust.errors import FacetrustError, MediaError
from facetrust.faces.landmarks import shape_68
from facetrust.faces.stage import find_faces_or_error
from facetrust.models.checkpoint import LoadedModel

VALENCE = {"happy": "positive", "surprise": "positive", "angry": "negative", "disgust": "negative",
           "fear": "negative", "sad": "negative", "neutral": "neutral"}
FACE_SIZE_EDGES = (64, 128, 256)  # px, longer side of the face box
SHARPNESS_EDGES = (50.0, 200.0)  # variance of the Laplacian of the 8-bit grey crop
GLASSES_EDGE = 105.0  # strongest horizontal edge across the nose bridge (see glasses_score)


def bucket(value: float, edges: tuple[float, ...], names: tuple[str, ...]) -> str:
    return names[int(np.searchsorted(edges, value, side="right"))]


def glasses_score(grey: np.ndarray, points: np.ndarray) -> float:
    """Strongest horizontal edge across the nose bridge between the eyes: the bridge of a frame.

    Region: the middle third between the inner eye corners (39, 42), from just below the inner brow
    ends (21, 22) to just below the inner corners. Score: the largest row mean of |vertical Sobel
    gradient| (8-bit grey, 3x3). On 24 k140 photos labelled by eye, frames scored 108-480 and bare
    bridges 16-103, except two faces with hair strands across the bridge (136, 343).
    """
    x0, x1 = points[39, 0], points[42, 0]
    width = max(x1 - x0, 3.0)
    left, right = round(x0 + width / 3), round(x1 - width / 3)
    top = round(points[[21, 22], 1].max() + 0.1 * width)
    bottom = round(points[[39, 42], 1].mean() + 0.1 * width)
    gradient = np.abs(cv2.Sobel(grey.astype(np.float32), cv2.CV_32F, 0, 1, ksize=3))
    region = gradient[max(top, 0):max(bottom, top + 1), max(left, 0):max(right, left + 1)]
    return float(region.mean(axis=1).max()) if region.size else 0.0


class FaceAttributes:
    """Automatic attributes per image (largest face), cached by file content and settings."""

    def __init__(self, model: LoadedModel) -> None:
        self.finder = model.face_finder(all_faces=False)
        self.emotion = EmotionReader(None, model.card.faces.margin)
        self.cache = OutcomeCache("face-attributes", {"faces": self.finder.settings(),
                                                      "emotion": self.emotion.model.version, "format": 2})

    def measure(self, path: Path) -> np.ndarray | str:
        """[box side, glasses score, sharpness, 7 expression probabilities], or why there is none."""
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        cached = self.cache.get(digest)
        if cached is None:
            cached = self._measure(data, path.name)
            self.cache.put(digest, cached)
        return cached

    def _measure(self, data: bytes, name: str) -> np.ndarray | str:
        from facetrust.media import decode_image, read_input

        found = find_faces_or_error(data, self.finder, name=name)
        if isinstance(found, MediaError) or not found.frames or not found.frames[0].faces:
            return "no face found" if not isinstance(found, MediaError) else found.problem
        face = found.frames[0].faces[0]
        image = decode_image(read_input(data, name)).pixels
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        points = shape_68(image, face.face.box)
        sharpness = cv2.Laplacian(cv2.cvtColor(face.crop, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var()
        emotions = self.emotion.probabilities([face], [(found.width, found.height)])[0]
        side = max(face.face.width, face.face.height)
        return np.array([side, glasses_score(grey, points), sharpness, *emotions], dtype=np.float64)

    def groups(self, paths: list[str], progress: bool = True) -> dict[str, list[str]]:
        """Attribute name → group label per path ("unknown" where no face was found)."""
        columns: dict[str, list[str]] = {"expression": [], "eyeglasses": [], "face_size": [], "sharpness": []}
        classes = self.emotion.classes
        for path in tqdm(paths, desc="face attributes", unit="img", disable=not progress):
            values = self.measure(Path(path))
            if isinstance(values, str):
                for column in columns.values():
                    column.append("unknown")
                continue
            columns["expression"].append(VALENCE[classes[int(np.argmax(values[3:]))]])
            columns["eyeglasses"].append("glasses" if values[1] >= GLASSES_EDGE else "no glasses")
            columns["face_size"].append(bucket(values[0], FACE_SIZE_EDGES, ("<64 px", "64-127 px", "128-255 px",
                                                                             ">=256 px")))
            columns["sharpness"].append(bucket(values[2], SHARPNESS_EDGES, ("blurry", "medium", "sharp")))
        return columns


def user_groups(csv_path: Path, paths: list[str]) -> dict[str, list[str]]:
    """Attributes from a CSV with a `path` (or `file`) column and any others; rows match an evaluated
    file by full path, path relative to the CSV, or file name. Unmatched files are "unknown"."""
    with open(csv_path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise FacetrustError(f"{csv_path}: no rows")
    key = "path" if "path" in rows[0] else "file" if "file" in rows[0] else None
    if key is None:
        raise FacetrustError(f"{csv_path}: needs a 'path' or 'file' column (has {', '.join(rows[0])})")
    by_name: dict[str, dict] = {}
    for row in rows:
        for name in (row[key], str((csv_path.parent / row[key]).resolve()), Path(row[key]).name):
            by_name.setdefault(name, row)
    columns = [c for c in rows[0] if c != key]
    matched = [by_name.get(p) or by_name.get(str(Path(p).resolve())) or by_name.get(Path(p).name) for p in paths]
    return {c: [(row[c] or "unknown") if row else "unknown" for row in matched] for c in columns}
