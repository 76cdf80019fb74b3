"""Score detectors on degraded copies of a recipe's validation faces: false alarms and misses when photos are
blurred, noisy, re-compressed or small, as users' photos often are.

Usage: python scripts/validation_robustness.py --config configs/detector-general-j.yaml [--model DIR ...]
(default: the bundled detector). Every validation face (self-blends left out) is degraded at each point of
POINTS (the degradations of `facetrust report`, applied to the aligned crop, seeded per face) and scored; printed
per model and point: the pooled ROC-AUC, the share of real faces called fake and of fakes caught at the model's
own threshold, then the means over the points (docs/DETECTOR.md, candidate P's rule); then the share of real faces
called fake per source and point, since a pooled rate can hide one kind of photo. Reads validation data only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from facetrust.bundled import default_model_path
from facetrust.data.sources import SELF_BLEND
from facetrust.evaluation.metrics import binary_metrics
from facetrust.models.checkpoint import load_model
from facetrust.report.degrade import DEGRADATIONS
from facetrust.training import read_config
from facetrust.training.trainer import validation_crops

# Degradations at the aligned crop's scale. Downscaling to a quarter is left out: its faces (about 50 px) are under
# every bundled card's smallest face, so their verdicts are `uncertain` whatever the score.
POINTS = (("blur", 1.0), ("blur", 2.0), ("blur", 3.0), ("noise", 5.0), ("noise", 10.0), ("noise", 20.0),
          ("jpeg", 50), ("jpeg", 30), ("downscale", 0.5))
SEED = 0


def degraded(crops: list[np.ndarray], name: str, strength: float) -> list[np.ndarray]:
    """Each crop degraded by one point, its randomness (noise) seeded by the crop's position."""
    apply = DEGRADATIONS[name].apply
    return [apply(crop, strength, np.random.default_rng([SEED, index])) for index, crop in enumerate(crops)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--model", type=Path, action="append")
    args = parser.parse_args()
    val = validation_crops(read_config(args.config), progress=False)
    keep = [i for i, sample in enumerate(val.samples) if sample.source != SELF_BLEND]
    crops, labels = [val.crops[i] for i in keep], np.asarray(val.labels)[keep]
    sources = np.array([val.samples[i].source for i in keep])
    copies = {point: degraded(crops, *point) for point in POINTS}
    print(f"{len(labels)} validation faces ({int((labels == 0).sum())} real)\n")
    print("| model | point | ROC-AUC | real faces called fake | fakes caught |\n|---|---|---:|---:|---:|")
    by_source = {}
    for folder in args.model or [default_model_path()]:
        model = load_model(folder)
        rows = {}
        for point, images in [(("none", ""), crops), *copies.items()]:
            p_fake = model.p_fake(images)
            metrics = binary_metrics(labels, p_fake, model.card.threshold)
            rows[point] = metrics
            by_source[model.name, folder, point] = real_called_fake(p_fake >= model.card.threshold, labels, sources)
            print(f"| {model.name} ({folder}) | {point[0]} {point[1]} | {metrics['roc_auc']:.3f} | "
                  f"{metrics['fpr']:.3f} | {metrics['recall']:.3f} |", flush=True)
        means = {key: np.mean([rows[point][key] for point in POINTS]) for key in ("roc_auc", "fpr", "recall")}
        print(f"| {model.name} ({folder}) | **mean of the {len(POINTS)} degraded points** | {means['roc_auc']:.4f} | "
              f"{means['fpr']:.4f} | {means['recall']:.4f} |", flush=True)
    print_by_source(by_source, sources[labels == 0])


def real_called_fake(called: np.ndarray, labels: np.ndarray, sources: np.ndarray) -> dict[str, float]:
    """Per source with real faces, the share of them called fake: a pooled rate can hide one kind of photo."""
    return {name: float(called[(sources == name) & (labels == 0)].mean()) for name in sorted(set(sources[labels == 0]))}


def print_by_source(by_source: dict, real_sources: np.ndarray) -> None:
    """Real faces called fake per source (rows) and point (columns), each model at its own threshold."""
    points = [("none", ""), *POINTS]
    print("\nreal faces called fake, per source (its number of real validation faces)\n")
    print("| model | source | " + " | ".join(f"{name} {strength}".strip() for name, strength in points) + " |")
    print("|---|---|" + "---:|" * len(points))
    for name, folder in dict.fromkeys((name, folder) for name, folder, _ in by_source):
        for source in sorted(set(real_sources)):
            cells = " | ".join(f"{by_source[name, folder, point][source]:.3f}" for point in points)
            print(f"| {name} ({folder}) | {source} ({int((real_sources == source).sum())}) | {cells} |")


if __name__ == "__main__":
    main()
