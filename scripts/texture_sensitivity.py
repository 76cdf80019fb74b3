"""Does a detector read global texture (grain, crispness) as real-or-fake? Scores a recipe's validation crops
after one global edit of every crop (blur, sharpening, pixel noise; then JPEG q90) and prints, per model and edit,
the real faces' mean P(fake) and each named fake source's mean P(fake) and ROC-AUC against all real faces.

A detector that looks at faces moves little under these edits; one that learnt "grain means a camera" calls
everything real once noise is added (docs/DETECTOR.md, candidate G).

    python scripts/texture_sensitivity.py --model runs/lofo-gan/model --model src/facetrust/weights/detector
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from facetrust.data.augment import jpeg_roundtrip, unsharp
from facetrust.data.sources import SELF_BLEND
from facetrust.evaluation.metrics import binary_metrics
from facetrust.models.checkpoint import load_model
from facetrust.training import read_config
from facetrust.training.trainer import validation_crops

Edit = Callable[[np.ndarray], np.ndarray]
EDITS: dict[str, Edit] = {
    "none": lambda face: face,
    "blur sigma 1.0": lambda face: cv2.GaussianBlur(face, (0, 0), 1.0),
    "sharpen 1.0": lambda face: unsharp(face, 1.0),
    "Gaussian noise sigma 4": lambda face: np.clip(
        face + np.random.default_rng(0).normal(0.0, 4.0, face.shape), 0, 255).astype(np.uint8),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, action="append", required=True)
    parser.add_argument("--config", type=Path, default=Path("configs/detector-general.yaml"))
    parser.add_argument("--fakes", default="k140,gan512", help="fake sources to report, comma-separated")
    args = parser.parse_args()
    val = validation_crops(read_config(args.config), progress=False)
    sources = np.array([sample.source for sample in val.samples])
    reals = np.flatnonzero((val.labels == 0) & (sources != SELF_BLEND))
    fakes = {name: np.flatnonzero((sources == name) & (val.labels == 1)) for name in args.fakes.split(",")}
    print(f"{len(reals)} real validation faces of {args.config}\n")
    print("| model | global edit | reals: mean P(fake) | " +
          " | ".join(f"{name} fakes: mean P(fake) (ROC-AUC vs reals)" for name in fakes) + " |")
    print("|---|---|---:|" + "---:|" * len(fakes))
    for folder in args.model:
        model = load_model(folder)
        for edit_name, edit in EDITS.items():
            p_fake = model.p_fake([jpeg_roundtrip(edit(crop), 90) for crop in val.crops])
            cells = []
            for chosen in fakes.values():
                labels = np.r_[np.zeros(len(reals)), np.ones(len(chosen))]
                auc = binary_metrics(labels, np.r_[p_fake[reals], p_fake[chosen]])["roc_auc"]
                cells.append(f"{p_fake[chosen].mean():.3f} ({auc:.3f})")
            print(f"| {folder} | {edit_name} | {p_fake[reals].mean():.3f} | " + " | ".join(cells) + " |",
                  flush=True)


if __name__ == "__main__":
    main()
