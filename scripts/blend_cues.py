"""Which blend cue does a detector key on? P(fake) of real faces after one edit inside the face's hull.

Usage: python scripts/blend_cues.py --model runs/detector-general-e/model [--model DIR ...]
       [--config configs/detector-general-e.yaml] [--faces 200]
Real validation faces of the recipe (never trained on), each edited once per cue inside a feathered mask of its
dlib-68 hull, all else kept: a colour shift, a blur, a down-then-up resampling, a sharpening, a 3-pixel shift, and
the identical face pasted onto itself (the control: no change at all), then the same JPEG as the original. For each
model and cue: ROC-AUC of edited against unedited faces (0.5: the cue is invisible to the model) and the mean rise in
P(fake). A detector of real swaps should see the subtle cues; one that only sees strong colour jumps learnt a tell.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from facetrust.data.augment import jpeg_roundtrip, unsharp
from facetrust.evaluation.metrics import binary_metrics
from facetrust.models.checkpoint import load_model
from facetrust.training import read_config
from facetrust.training.trainer import validation_crops

Edit = Callable[[np.ndarray], np.ndarray]
CUES: dict[str, Edit] = {
    "none (control)": lambda face: face,
    "colour +12 red": lambda face: np.clip(face.astype(np.int16) + np.array([12, 0, 0]), 0, 255).astype(np.uint8),
    "blur sigma 1.2": lambda face: cv2.GaussianBlur(face, (0, 0), 1.2),
    "resample 0.5x": lambda face: cv2.resize(cv2.resize(face, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
                                             face.shape[1::-1], interpolation=cv2.INTER_LINEAR),
    "sharpen 0.6": lambda face: unsharp(face, 0.6),
    "shift 3 px": lambda face: np.roll(face, (3, 3), axis=(0, 1)),
}


def hull_mask(shape: tuple[int, ...], points: np.ndarray) -> np.ndarray:
    """The landmarks' convex hull, feathered: 1 inside, falling to 0 over a few pixels."""
    mask = np.zeros(shape[:2], np.float32)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(points).astype(np.int32)), 1.0)
    return cv2.GaussianBlur(mask, (0, 0), shape[1] / 64)[..., None]


def edited(face: np.ndarray, mask: np.ndarray, edit: Edit, quality: int) -> np.ndarray:
    blended = face.astype(np.float32) * (1 - mask) + edit(face).astype(np.float32) * mask
    return jpeg_roundtrip(np.clip(np.rint(blended), 0, 255).astype(np.uint8), quality)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, action="append", required=True)
    parser.add_argument("--config", type=Path, default=Path("configs/detector-general-e.yaml"))
    parser.add_argument("--faces", type=int, default=200)
    args = parser.parse_args()
    val = validation_crops(read_config(args.config), progress=False)
    rng = np.random.default_rng(0)
    chosen = rng.choice(sorted(val.shapes), size=min(args.faces, len(val.shapes)), replace=False)
    qualities = rng.integers(70, 100, size=len(chosen), endpoint=True)
    originals = [jpeg_roundtrip(val.crops[i], int(q)) for i, q in zip(chosen, qualities, strict=True)]
    masks = [hull_mask(val.crops[i].shape, val.shapes[i]) for i in chosen]  # one per face, shared by every cue
    print(f"{len(chosen)} real validation faces of {args.config}\n")
    print("| model | cue inside the face hull | ROC-AUC edited vs unedited | mean rise in P(fake) |")
    print("|---|---|---:|---:|")
    for folder in args.model:
        model = load_model(folder)
        before = model.p_fake(originals)
        for cue, edit in CUES.items():
            faces = [edited(val.crops[i], mask, edit, int(q))
                     for i, mask, q in zip(chosen, masks, qualities, strict=True)]
            after = model.p_fake(faces)
            labels = np.r_[np.zeros(len(before)), np.ones(len(after))]
            auc = binary_metrics(labels, np.r_[before, after])["roc_auc"]
            print(f"| {model.name} | {cue} | {auc:.3f} | {float(np.mean(after - before)):+.3f} |", flush=True)


if __name__ == "__main__":
    main()
