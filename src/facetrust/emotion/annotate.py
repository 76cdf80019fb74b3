"""Expressions of the faces a scan finds: the expression model applied to the detector's crops, re-framed.

The detector's crops carry its margin (0.3 by default); expression models trained on FER-2013 expect
tight faces, framed as their card's `faces.margin` says (the bundled one: -0.3, tighter than the aligned face
square, chosen on FER-2013's public_test). An aligned crop has the face at its centre, and a whole-image crop (an input
that already is a face photo) holds the detected box at a known place, so the tight face is cut from
the detector's crop: no second detection, no need to keep the decoded image.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.special import softmax

from facetrust.bundled import default_emotion_model_path
from facetrust.errors import FacetrustError
from facetrust.faces import FoundFace
from facetrust.faces.align import reframe
from facetrust.models.checkpoint import LoadedModel, load_model


class EmotionReader:
    """Per-face expression probabilities for faces cropped with `detector_margin`."""

    def __init__(self, model: str | Path | LoadedModel | None, detector_margin: float) -> None:
        self.model = model if isinstance(model, LoadedModel) else load_model(model or default_emotion_model_path())
        if self.model.card.task != "emotion":
            raise FacetrustError(f"{self.model.name} is not an expression model (its card has no task 'emotion')")
        self.detector_margin = detector_margin

    @property
    def info(self) -> dict:
        card = self.model.card
        return {"name": card.name, "version": card.version, "architecture": card.architecture,
                "temperature": round(card.temperature, 4), "tta": card.tta, "backend": self.model.backend}

    @property
    def classes(self) -> list[str]:
        return self.model.card.classes

    def probabilities(self, faces: list[FoundFace], image_sizes: list[tuple[int, int]]) -> np.ndarray:
        """(faces, classes) calibrated expression probabilities; `image_sizes` are the (width, height) of
        the images the faces were found in."""
        if not faces:
            return np.zeros((0, len(self.classes)))
        crop = self.model.card.faces
        crops = [reframe(f.crop, f.face.box if f.source == "whole" else None, image_size, self.detector_margin,
                         crop.margin, crop.size) for f, image_size in zip(faces, image_sizes, strict=True)]
        return softmax(self.model.logits(crops) / self.model.card.temperature, axis=1)

    def read(self, faces: list[FoundFace], image_sizes: list[tuple[int, int]]) -> list[dict]:
        """{"label": most likely expression, "scores": {expression: probability}} per face."""
        return [{"label": self.classes[int(row.argmax())],
                 "scores": {c: round(float(p), 4) for c, p in zip(self.classes, row, strict=True)}}
                for row in self.probabilities(faces, image_sizes)]
