"""dlib's 128-d face descriptor (the "face encoding" of the face_recognition library).

The reference studies fed these encodings to a small dense network (and fused them with image
branches). They are computed the way face_recognition computes them: dlib's HOG detector with one
upsampling, the 5-point shape predictor, one jitter, the largest face. Computing one costs about
60-80 ms, so they are cached by content; images where dlib finds no face are recorded as such, not
silently dropped.

Two entry points: `encode_samples` encodes whole files (the reference pipeline; `facetrust embed`),
`encode_crops` encodes the face crops a model sees (the inputs of the encoding models, at training
and at scan time alike, so an image with two faces gets two encodings).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from tqdm import tqdm

from facetrust.cache import OutcomeCache
from facetrust.data.datasets import Sample
from facetrust.errors import MediaError, MissingComponentError
from facetrust.faces.weights import package_file
from facetrust.media import decode_image, read_input

ENCODING_SIZE = 128
# Model input: the encoding and a flag that is 1 when dlib found the face; 0 (and a zero encoding) when it
# did not, so every crop keeps its place and every model in a comparison is judged on the same faces.
ENCODING_INPUTS = ENCODING_SIZE + 1
NO_FACE = "dlib found no face"


class FaceEncoder:
    """Largest face → 128-d dlib descriptor; `None` when dlib's detector finds no face."""

    def __init__(self, upsample: int = 1, jitters: int = 1) -> None:
        self.upsample = upsample
        self.jitters = jitters

    def settings(self) -> dict:
        return {"encoder": "dlib_face_recognition_resnet_model_v1", "detector": "dlib_hog",
                "landmarks": 5, "upsample": self.upsample, "jitters": self.jitters}

    @cached_property
    def _models(self) -> tuple:
        try:
            import dlib
        except ImportError as exc:
            raise MissingComponentError("face encodings need dlib: `pip install --no-deps dlib-bin`") from exc
        models = "face_recognition_models", "models"
        return (dlib.get_frontal_face_detector(),
                dlib.shape_predictor(str(package_file(*models, "shape_predictor_5_face_landmarks.dat"))),
                dlib.face_recognition_model_v1(str(package_file(*models, "dlib_face_recognition_resnet_model_v1.dat"))))

    def encode(self, image: np.ndarray) -> np.ndarray | None:
        """The encoding of the largest face in an RGB uint8 image."""
        detector, landmarks, network = self._models
        faces = detector(image, self.upsample)
        if not faces:
            return None
        largest = max(faces, key=lambda r: r.width() * r.height())
        descriptor = network.compute_face_descriptor(image, landmarks(image, largest), self.jitters)
        return np.asarray(descriptor, dtype=np.float32)


@dataclass
class EncodingSet:
    """Encodings of the samples that have one, and the files that have none (with the reason)."""

    encodings: np.ndarray = field(default_factory=lambda: np.zeros((0, ENCODING_SIZE), np.float32))
    samples: list[Sample] = field(default_factory=list)
    missing: list[tuple[Sample, str]] = field(default_factory=list)

    @property
    def labels(self) -> np.ndarray:
        return np.array([s.label for s in self.samples], dtype=int)


def encode_samples(samples: list[Sample], encoder: FaceEncoder | None = None, progress: bool = True,
                   cache_root: Path | None = None) -> EncodingSet:
    """Encodings for every sample, from the cache when this file's content was encoded before; unreadable
    files and files without a face are listed in `missing` with the reason."""
    encoder = encoder or FaceEncoder()
    cache = OutcomeCache("encodings", encoder.settings(), cache_root)
    vectors, result = [], EncodingSet()
    for sample in tqdm(samples, desc="face encodings", unit="img", disable=not progress):
        outcome = _cached_encoding(sample.path, encoder, cache)
        if isinstance(outcome, str):
            result.missing.append((sample, outcome))
        else:
            vectors.append(outcome)
            result.samples.append(sample)
    if vectors:
        result.encodings = np.stack(vectors)
    return result


def _cached_encoding(path: Path, encoder: FaceEncoder, cache: OutcomeCache) -> np.ndarray | str:
    try:
        media = read_input(path)
    except MediaError as exc:
        return exc.problem
    outcome = cache.get(media.sha256)
    if outcome is None:
        try:
            encoding = encoder.encode(decode_image(media).pixels)
        except MediaError as exc:
            return exc.problem
        outcome = NO_FACE if encoding is None else encoding
        cache.put(media.sha256, outcome)
    return outcome


def encode_crops(crops: Sequence[np.ndarray], encoder: FaceEncoder | None = None, cached: bool = True,
                 progress: bool = False, cache_root: Path | None = None) -> np.ndarray:
    """Model inputs (N, ENCODING_INPUTS) for uint8 RGB face crops: encoding + found-flag (see ENCODING_INPUTS).

    With `cached`, results are kept per crop content (training and evaluation see the same crops again).
    """
    encoder = encoder or FaceEncoder()
    cache = OutcomeCache("crop-encodings", encoder.settings(), cache_root) if cached else None
    rows = np.zeros((len(crops), ENCODING_INPUTS), np.float32)
    for row, crop in zip(rows, tqdm(crops, desc="face encodings", unit="face", disable=not progress), strict=True):
        crop = np.ascontiguousarray(crop)
        digest = hashlib.sha256(f"{crop.shape}".encode() + crop.tobytes()).hexdigest() if cache else ""
        outcome = cache.get(digest) if cache else None
        if outcome is None:
            encoding = encoder.encode(crop)
            outcome = NO_FACE if encoding is None else encoding
            if cache:
                cache.put(digest, outcome)
        if not isinstance(outcome, str):
            row[:ENCODING_SIZE], row[ENCODING_SIZE] = outcome, 1.0
    return rows
