"""Score candidate R on a recipe's validation faces: sharp faces judged by one detector, soft (blurred) ones by another.

Usage: python scripts/routed_validation.py --config configs/detector-general-j.yaml --sharp DIR --soft DIR --floor 20
A face whose sharpness (variance of the Laplacian of the grey centre half of its aligned crop) is under FLOOR is
scored by the --soft model, every other face by the --sharp one; the routed logits get one temperature and one
threshold, fitted on clean validation as `finish_model` fits a pair's (docs/DETECTOR.md, "Candidate R"). Printed for
the --sharp model alone and for the routed model, on the same crops: the amended selection score with each source's
ROC-AUC, and the pooled ROC-AUC, real faces called fake and fakes caught at each point of
scripts/validation_robustness.py (degradations of the crop, self-blends left out) with their means; then the share
of clean faces routed to the soft model per source. Reads validation data only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from scipy.special import logit
from validation_robustness import POINTS, degraded

from facetrust.data.sources import SELF_BLEND
from facetrust.evaluation import binary_metrics, choose_threshold, fit_temperature
from facetrust.models.checkpoint import load_model
from facetrust.models.inference import sigmoid
from facetrust.training import read_config
from facetrust.training.trainer import selection_score, validation_crops


def sharpness(crop: np.ndarray) -> float:
    """Variance of the Laplacian of the grey centre half of an RGB crop: low for blurred faces (and for some
    natively smooth fakes), read where the face is rather than the background."""
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    h, w = grey.shape
    return float(cv2.Laplacian(grey[h // 4:3 * h // 4, w // 4:3 * w // 4], cv2.CV_64F).var())


def calibrated_logits(model, crops: list[np.ndarray]) -> np.ndarray:
    """The model's calibrated P(fake) as logits (its own temperature applied)."""
    return logit(model.p_fake(crops).clip(1e-7, 1 - 1e-7))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--sharp", type=Path, required=True, help="the detector for faces at or above the floor")
    parser.add_argument("--soft", type=Path, required=True, help="the detector for faces under the floor")
    parser.add_argument("--floor", type=float, required=True, help="sharpness under which a face goes to --soft")
    args = parser.parse_args()
    config = read_config(args.config)
    sharp, soft = load_model(args.sharp), load_model(args.soft)
    val = validation_crops(config, progress=False)

    def routed(crops: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Routed logits (before the routed temperature) and which faces went to the soft model."""
        to_soft = np.array([sharpness(crop) < args.floor for crop in crops])
        return np.where(to_soft, calibrated_logits(soft, crops), calibrated_logits(sharp, crops)), to_soft

    clean_logits, clean_soft = routed(val.crops)
    real_data = np.array([sample.source != SELF_BLEND for sample in val.samples])
    labels = np.asarray(val.labels)
    temperature = fit_temperature(clean_logits[real_data], labels[real_data])
    threshold = choose_threshold(labels[real_data], sigmoid(clean_logits[real_data], temperature),
                                 config.target_recall, config.max_fpr)
    print(f"routed: temperature {temperature:.3f}, threshold {threshold:.3f}\n")

    for name, logits in ((sharp.name, calibrated_logits(sharp, val.crops)), ("routed", clean_logits)):
        score, by_source = selection_score(config, val, logits)
        print(f"{name}: selection score {score:.4f} [{', '.join(f'{s} {a:.3f}' for s, a in by_source.items())}]")

    crops = [crop for crop, keep in zip(val.crops, real_data, strict=True) if keep]
    kept = labels[real_data]
    scorers = {sharp.name: lambda images: sharp.p_fake(images),
               "routed": lambda images: sigmoid(routed(images)[0], temperature)}
    thresholds = {sharp.name: sharp.card.threshold, "routed": threshold}
    copies = {point: degraded(crops, *point) for point in POINTS}
    print(f"\n{len(kept)} validation faces ({int((kept == 0).sum())} real)\n")
    print("| model | point | ROC-AUC | real faces called fake | fakes caught |\n|---|---|---:|---:|---:|")
    for name, score_of in scorers.items():
        rows = {}
        for point, images in [(("none", ""), crops), *copies.items()]:
            rows[point] = binary_metrics(kept, score_of(images), thresholds[name])
            print(f"| {name} | {point[0]} {point[1]} | {rows[point]['roc_auc']:.3f} | {rows[point]['fpr']:.3f} | "
                  f"{rows[point]['recall']:.3f} |", flush=True)
        means = {key: np.mean([rows[point][key] for point in POINTS]) for key in ("roc_auc", "fpr", "recall")}
        print(f"| {name} | **mean of the {len(POINTS)} degraded points** | {means['roc_auc']:.4f} | "
              f"{means['fpr']:.4f} | {means['recall']:.4f} |", flush=True)

    print("\nclean faces routed to the soft model:")
    sources = np.array([sample.source for sample in val.samples])
    for source in sorted(set(sources)):
        for label, kind in ((0, "real"), (1, "fake")):
            chosen = (sources == source) & (labels == label)
            if chosen.any():
                print(f"  {source} {kind}: {int(clean_soft[chosen].sum())} of {int(chosen.sum())}")


if __name__ == "__main__":
    main()
