"""Face crops for training and evaluation, made by the same FaceFinder that `scan` uses.

Finding faces costs 50-150 ms an image, more than a training step per image, so crops are cached on
disk, keyed by the file's content and the finder's settings: a second run over the same data with
the same crop settings skips detection entirely. The cache lives in $FACETRUST_CACHE_DIR (default
~/.cache/facetrust); deleting it is always safe.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from facetrust.cache import OutcomeCache
from facetrust.data.datasets import Sample
from facetrust.errors import MediaError
from facetrust.faces import FaceFinder
from facetrust.faces.stage import find_faces_or_error
from facetrust.media import DEFAULT_LIMITS


@dataclass
class CropSet:
    """Crops (uint8 RGB, square) with their samples; `skipped` says which files gave no crop and why.
    `encodings` (one row per crop) are filled in for models that read face encodings, `shapes` (68 landmarks
    by crop position) for the real crops that self-blended fakes are made from."""

    crops: list[np.ndarray] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    encodings: np.ndarray | None = None
    shapes: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def labels(self) -> np.ndarray:
        return np.array([s.label for s in self.samples], dtype=int)


class CropCache(OutcomeCache):
    """Largest-face crops (lossless PNG) or the reason there is none, per file content and finder settings."""

    suffix = ".png"

    def __init__(self, finder: FaceFinder, root: Path | None = None) -> None:
        super().__init__("crops", finder.settings(), root)

    def _read(self, path: Path) -> np.ndarray | None:
        crop = cv2.imread(str(path), cv2.IMREAD_COLOR)
        return None if crop is None else cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)

    def _write(self, path: Path, array: np.ndarray) -> None:
        cv2.imwrite(str(path), cv2.cvtColor(array, cv2.COLOR_RGB2BGR))  # False and no file: nothing is cached


def crop_samples(samples: list[Sample], finder: FaceFinder, desc: str = "finding faces", progress: bool = True,
                 cache: CropCache | None = None) -> CropSet:
    """The largest face of each image; files without a face or that cannot be read are skipped, not fatal."""
    cache = cache or CropCache(finder)
    result = CropSet()
    for sample in tqdm(samples, desc=desc, unit="img", disable=not progress):
        data = _read_once(sample.path)
        digest = hashlib.sha256(data).hexdigest() if data else ""
        outcome = cache.get(digest) if digest else None
        if outcome is None:
            outcome = largest_face(data or sample.path, str(sample.path), finder)
            if digest:
                cache.put(digest, outcome)
        if isinstance(outcome, str):
            result.skipped.append((str(sample.path), outcome))
        else:
            result.crops.append(outcome)
            result.samples.append(sample)
    return result


def _read_once(path: Path) -> bytes | None:
    """The file's bytes, hashed for the cache and decoded from memory; None leaves the error to the reader."""
    if not path.is_file() or path.stat().st_size > DEFAULT_LIMITS.max_bytes:
        return None
    return path.read_bytes()


def largest_face(source: bytes | Path | np.ndarray, name: str, finder: FaceFinder) -> np.ndarray | str:
    """The crop of the image's largest face, or why there is none."""
    found = find_faces_or_error(source, finder, name=name, frames=1)
    if isinstance(found, MediaError):
        return found.problem
    if found.kind != "image":
        return "videos are not used for image training"
    if not found.frames[0].faces:
        return "no face found"
    return found.frames[0].faces[0].crop
