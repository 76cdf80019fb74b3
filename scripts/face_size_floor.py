"""Measure the smallest face a detector judges, by the rule in docs/VERDICT_SCHEMA.md ("Smallest face judged").

Usage: python scripts/face_size_floor.py --config configs/detector-general.yaml [--model DIR] [--write]
(default: the bundled detector). Every validation face of the recipe (self-blends left out) is made a face of s px,
scored, and the pooled ROC-AUC and the share of real faces called fake at the card's threshold are printed per size;
`--write` puts the floor into the model's card (`smallest_face`). Reads validation data only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from facetrust.bundled import default_model_path
from facetrust.evaluation.metrics import binary_metrics
from facetrust.models.card import CARD_FILE, write_card
from facetrust.models.checkpoint import load_model
from facetrust.training import read_config
from facetrust.training.trainer import validation_faces

SIDES = (24, 32, 40, 48, 56, 64, 80, 96, 128)  # face box side in input pixels
AUC_DROP = 0.03  # a size is judged while its pooled ROC-AUC is at least the full-size one less this
FPR_EXTRA = 0.02  # ... and its false alarms at the threshold at most the recipe's max_fpr plus this


def as_face_of(crop: np.ndarray, side: int, margin: float) -> np.ndarray:
    """The aligned crop as if its face box had been `side` px in the input: shrunk and enlarged back."""
    small = max(2, round((1 + margin) * side))
    size = crop.shape[0]
    return cv2.resize(cv2.resize(crop, (small, small), interpolation=cv2.INTER_AREA), (size, size),
                      interpolation=cv2.INTER_LINEAR)


def floor(rows: list[dict], full_auc: float, max_fpr: float) -> int | None:
    """The smallest side at which, and at every larger side, both conditions hold; None if the largest fails."""
    smallest = None
    for row in sorted(rows, key=lambda r: -r["side"]):
        if row["roc_auc"] < full_auc - AUC_DROP or row["fpr"] > max_fpr + FPR_EXTRA:
            break
        smallest = row["side"]
    return smallest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=default_model_path())
    parser.add_argument("--write", action="store_true", help="write the floor into the model's card")
    args = parser.parse_args()
    config = read_config(args.config)
    model = load_model(args.model)
    val = validation_faces(config)
    crops, labels = val.crops, val.labels
    threshold, margin = model.card.threshold, model.card.faces.margin

    def scored(images: list[np.ndarray]) -> tuple[float, float]:
        metrics = binary_metrics(labels, model.p_fake(images), threshold)
        return metrics["roc_auc"], metrics["fpr"]

    full_auc, full_fpr = scored(crops)
    print(f"{model.name} ({args.model}), threshold {threshold:.3f}, {len(labels)} validation faces "
          f"({int((labels == 0).sum())} real)\n")
    print("| face side (px) | ROC-AUC | real faces called fake |\n|---|---:|---:|")
    print(f"| full size | {full_auc:.3f} | {full_fpr:.3f} |")
    rows = []
    for side in SIDES:
        auc, fpr = scored([as_face_of(crop, side, margin) for crop in crops])
        rows.append({"side": side, "roc_auc": auc, "fpr": fpr})
        print(f"| {side} | {auc:.3f} | {fpr:.3f} |")
    smallest = floor(rows, full_auc, config.max_fpr if config.max_fpr is not None else full_fpr)
    print(f"\nsmallest face judged: {smallest if smallest else 'none of the sizes passes'}")
    if args.write and smallest:
        write_card(args.model, model.card.model_copy(update={"smallest_face": smallest}))
        print(f"written into {args.model / CARD_FILE}")


if __name__ == "__main__":
    main()
