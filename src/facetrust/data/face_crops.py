"""Face crops for training and evaluation, made by the same FaceFinder that `scan` uses."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from facetrust.api import find_faces_or_error
from facetrust.data.datasets import Sample
from facetrust.errors import MediaError
from facetrust.faces import FaceFinder


@dataclass
class CropSet:
    """Crops (uint8 RGB, square) with their samples; `skipped` says which files gave no crop and why."""

    crops: list[np.ndarray] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def labels(self) -> np.ndarray:
        return np.array([s.label for s in self.samples], dtype=int)


def crop_samples(samples: list[Sample], finder: FaceFinder, desc: str = "finding faces",
                 progress: bool = True) -> CropSet:
    """The largest face of each image; files without a face or that cannot be read are skipped, not fatal."""
    result = CropSet()
    for sample in tqdm(samples, desc=desc, unit="img", disable=not progress):
        found = find_faces_or_error(sample.path, finder, frames=1)
        if isinstance(found, MediaError):
            result.skipped.append((str(sample.path), found.problem))
        elif found.kind != "image":
            result.skipped.append((str(sample.path), "videos are not used for image training"))
        elif not found.frames[0].faces:
            result.skipped.append((str(sample.path), "no face found"))
        else:
            result.crops.append(found.frames[0].faces[0].crop)
            result.samples.append(sample)
    return result
