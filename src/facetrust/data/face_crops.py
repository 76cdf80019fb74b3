"""Face crops for training and evaluation, made by the same FaceFinder that `scan` uses.

Finding faces costs 50-150 ms an image, more than a training step per image, so crops are cached on
disk, keyed by the file's content and the finder's settings: a second run over the same data with
the same crop settings skips detection entirely. The cache lives in $FACETRUST_CACHE_DIR (default
~/.cache/facetrust); deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from facetrust.api import find_faces_or_error
from facetrust.cache import cache_root
from facetrust.data.datasets import Sample
from facetrust.errors import MediaError
from facetrust.faces import FaceFinder
from facetrust.media import DEFAULT_LIMITS


@dataclass
class CropSet:
    """Crops (uint8 RGB, square) with their samples; `skipped` says which files gave no crop and why."""

    crops: list[np.ndarray] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def labels(self) -> np.ndarray:
        return np.array([s.label for s in self.samples], dtype=int)


class CropCache:
    """Largest-face crops (PNG) or the reason there is none (JSON), per file content and finder settings."""

    def __init__(self, finder: FaceFinder, root: Path | None = None) -> None:
        key = hashlib.sha256(json.dumps(finder.settings(), sort_keys=True).encode()).hexdigest()[:16]
        self.folder = (root or cache_root()) / "crops" / key

    def get(self, digest: str) -> np.ndarray | str | None:
        """The crop, the reason a file has none, or None when this file was never seen."""
        png, reason = self._paths(digest)
        if png.exists():
            crop = cv2.imread(str(png), cv2.IMREAD_COLOR)
            return None if crop is None else cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)
        if reason.exists():
            return json.loads(reason.read_text(encoding="utf-8"))["skipped"]
        return None

    def put(self, digest: str, outcome: np.ndarray | str) -> None:
        png, reason = self._paths(digest)
        png.parent.mkdir(parents=True, exist_ok=True)
        tmp = png.with_suffix(".tmp")
        if isinstance(outcome, str):
            tmp.write_text(json.dumps({"skipped": outcome}), encoding="utf-8")
            os.replace(tmp, reason)
        elif cv2.imwrite(str(tmp) + ".png", cv2.cvtColor(outcome, cv2.COLOR_RGB2BGR)):
            os.replace(str(tmp) + ".png", png)

    def _paths(self, digest: str) -> tuple[Path, Path]:
        base = self.folder / digest[:2] / digest
        return base.with_suffix(".png"), base.with_suffix(".json")


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
            outcome = _largest_face(data or sample.path, str(sample.path), finder)
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


def _largest_face(source: bytes | Path, name: str, finder: FaceFinder) -> np.ndarray | str:
    found = find_faces_or_error(source, finder, name=name, frames=1)
    if isinstance(found, MediaError):
        return found.problem
    if found.kind != "image":
        return "videos are not used for image training"
    if not found.frames[0].faces:
        return "no face found"
    return found.frames[0].faces[0].crop
