"""The face stage of the pipeline: detect (or accept a ready crop), select, align."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from facetrust.faces import DEFAULT_DETECTOR
from facetrust.faces.align import align_face, whole_image
from facetrust.faces.detectors import FaceDetector, create_detector
from facetrust.faces.types import Face

CropMode = Literal["auto", "detect", "whole"]
# In auto mode, one face whose box spans at least this fraction of both image sides means the input
# is already a face crop (as in most datasets): the whole image is used instead of a re-crop.
FILLS_IMAGE = 0.45


@dataclass
class FoundFace:
    """A face and its aligned crop; `source` says whether it was detected or the whole input was used."""

    face: Face
    crop: np.ndarray
    source: Literal["detected", "whole"]

    def to_dict(self) -> dict:
        return {**self.face.to_dict(), "source": self.source}


class FaceFinder:
    """Turns an RGB image into aligned face crops.

    mode "detect": run the detector; "whole": the input is one face crop, no detector runs;
    "auto": detect, and if a single face fills the image treat the input as a crop.
    `all_faces` keeps every face (largest first); otherwise only the largest.
    """

    def __init__(self, detector: str | FaceDetector = DEFAULT_DETECTOR, mode: CropMode = "auto",
                 size: int = 224, margin: float = 0.3, all_faces: bool = True) -> None:
        if mode not in ("auto", "detect", "whole"):
            raise ValueError(f"unknown crop mode {mode!r}; use auto, detect or whole")
        self.detector = create_detector(detector) if isinstance(detector, str) else detector
        self.mode = mode
        self.size = size
        self.margin = margin
        self.all_faces = all_faces

    def settings(self) -> dict:
        """Everything that changes the crops this finder makes (used to key caches)."""
        revision = {"revision": self.detector.revision} if self.detector.revision else {}
        return {"detector": self.detector.name, "threshold": self.detector.threshold,
                "max_side": self.detector.max_side, "min_face": self.detector.min_face, "mode": self.mode,
                "size": self.size, "margin": self.margin, "all_faces": self.all_faces} | revision

    def find(self, image: np.ndarray, timings: dict[str, float] | None = None) -> list[FoundFace]:
        """Faces in `image`, largest first; an empty list means no face was found (a normal result).

        With `timings`, milliseconds spent detecting and aligning are added to its "detect"/"align" keys.
        """
        height, width = image.shape[:2]
        started = time.perf_counter()
        if self.mode == "whole":
            faces = [Face(box=(0.0, 0.0, float(width), float(height)), score=None, detector="whole")]
        else:
            faces = self.detector.detect(image)
        detected = time.perf_counter()
        if self.mode == "whole" or (self.mode == "auto" and len(faces) == 1 and fills_image(faces[0], width, height)):
            found = [FoundFace(faces[0], whole_image(image, self.size), "whole")]
        else:
            found = [FoundFace(f, align_face(image, f, self.size, self.margin), "detected")
                     for f in (faces if self.all_faces else faces[:1])]
        if timings is not None:
            timings["detect"] = timings.get("detect", 0.0) + 1000 * (detected - started)
            timings["align"] = timings.get("align", 0.0) + 1000 * (time.perf_counter() - detected)
        return found


def fills_image(face: Face, width: int, height: int) -> bool:
    return face.width >= FILLS_IMAGE * width and face.height >= FILLS_IMAGE * height
