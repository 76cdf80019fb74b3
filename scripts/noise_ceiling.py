"""Measure the noisiest face a detector judges, by the rule in docs/VERDICT_SCHEMA.md ("Noisiest face judged").

Usage: python scripts/noise_ceiling.py --config configs/detector-general.yaml [--model DIR] [--write]
(default: the bundled detector). Every validation face of the recipe (self-blends left out) is scored clean and with
Gaussian noise of each sigma in SIGMAS added at the crop; all copies are binned by their `noise_level`, and the
pooled ROC-AUC and share of fakes caught are printed per bin, then the ceiling, its cost on clean real faces per
source, and what it changes per sigma. `--write` puts the ceiling into the model's card. Reads validation data only.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
from validation_robustness import MIN_REALS, degraded_crops

from facetrust.bundled import default_model_path
from facetrust.detection.decision import DecisionRule
from facetrust.evaluation.metrics import binary_metrics
from facetrust.media.quality import noise_level
from facetrust.models.card import CARD_FILE, write_card
from facetrust.models.checkpoint import load_model
from facetrust.training import read_config
from facetrust.training.trainer import validation_faces

SIGMAS = (0, 2, 4, 6, 8, 10, 12, 15, 20)  # noise added at the crop, of 255; 0: the clean crops
EDGES = (1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 8, 10, 15)  # bins of noise_level
MIN_PER_CLASS = 30  # a bin with fewer real or fake faces is merged into the next one up
AUC_DROP = 0.03  # a bin fails when its ROC-AUC is more than this under the clean crops' ...
CAUGHT_DROP = 0.10  # ... or its share of fakes caught more than this under theirs
GUARD = 0.10  # at most this share of any source's clean real faces over the ceiling


def bins(noise: np.ndarray, labels: np.ndarray) -> list[tuple[float, float]]:
    """(lower, upper) edges of the bins, thin ones merged upwards (the last downwards) until each holds at least
    MIN_PER_CLASS faces of each class."""
    edges = [0.0, *EDGES, np.inf]
    spans = list(itertools.pairwise(edges))

    def thin(span: tuple[float, float]) -> bool:
        inside = (noise >= span[0]) & (noise < span[1])
        return min((labels[inside] == 0).sum(), (labels[inside] == 1).sum()) < MIN_PER_CLASS

    merged: list[tuple[float, float]] = []
    for span in spans:
        if merged and thin(merged[-1]):
            merged[-1] = (merged[-1][0], span[1])
        else:
            merged.append(span)
    while len(merged) > 1 and thin(merged[-1]):
        merged[-2:] = [(merged[-2][0], merged[-1][1])]
    return merged


def ceiling(rows: list[dict], reference: dict) -> float | None:
    """The lower edge of the first bin, going up, that fails; None if none does."""
    for row in rows:
        if row["roc_auc"] < reference["roc_auc"] - AUC_DROP or row["recall"] < reference["recall"] - CAUGHT_DROP:
            return row["lower"]
    return None


def guarded(limit: float, clean_real_noise: dict[str, np.ndarray]) -> float:
    """The ceiling raised to the lowest bin edge at which no source has more than GUARD of its clean real faces
    over it."""
    for edge in [e for e in (0.0, *EDGES) if e >= limit]:
        if all((noise > edge).mean() <= GUARD for noise in clean_real_noise.values()):
            return edge
    return np.inf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=default_model_path())
    parser.add_argument("--write", action="store_true", help="write the ceiling into the model's card")
    args = parser.parse_args()
    config, model = read_config(args.config), load_model(args.model)
    val = validation_faces(config)
    crops, labels, sources = val.crops, val.labels, val.sources
    threshold = model.card.threshold
    noise, p_fake = {}, {}
    for sigma in SIGMAS:
        copies = crops if sigma == 0 else degraded_crops(crops, "noise", float(sigma))
        noise[sigma] = np.array([noise_level(crop) for crop in copies])
        p_fake[sigma] = model.p_fake(copies)
        print(f"sigma {sigma}: noise_level median {np.median(noise[sigma]):.2f}", flush=True)
    reference = binary_metrics(labels, p_fake[0], threshold)
    every_noise = np.concatenate([noise[s] for s in SIGMAS])
    every_p, every_label = np.concatenate([p_fake[s] for s in SIGMAS]), np.tile(labels, len(SIGMAS))
    print(f"\n{model.name} ({args.model}), threshold {threshold:.3f}, {len(labels)} validation faces "
          f"({int((labels == 0).sum())} real) x {len(SIGMAS)} noise levels\n")
    print("| noise_level bin | real / fake faces | ROC-AUC | fakes caught |\n|---|---:|---:|---:|")
    print(f"| clean crops (reference) | {int((labels == 0).sum())} / {int(labels.sum())} | "
          f"{reference['roc_auc']:.3f} | {reference['recall']:.3f} |")
    rows = []
    for lower, upper in bins(every_noise, every_label):
        inside = (every_noise >= lower) & (every_noise < upper)
        metrics = binary_metrics(every_label[inside], every_p[inside], threshold)
        rows.append({"lower": lower, "roc_auc": metrics["roc_auc"], "recall": metrics["recall"]})
        print(f"| {lower:g} - {upper:g} | {int((every_label[inside] == 0).sum())} / {int(every_label[inside].sum())} "
              f"| {metrics['roc_auc']:.3f} | {metrics['recall']:.3f} |")
    found = ceiling(rows, reference)
    if found is None:
        print("\nno bin fails: no ceiling")
        return
    real_sources = [s for s in sorted(set(sources[labels == 0])) if ((sources == s) & (labels == 0)).sum() >= MIN_REALS]
    clean_real = {s: noise[0][(sources == s) & (labels == 0)] for s in real_sources}
    chosen = guarded(found, clean_real)
    print(f"\nfirst failing bin starts at {found:g}; ceiling {chosen:g}"
          + (f" (raised by the guard from {found:g})" if chosen != found else ""))
    print("\nclean real faces over the ceiling, per source: "
          + ", ".join(f"{s} {(v > chosen).mean():.3f}" for s, v in clean_real.items()))
    print("\n| noise sigma | fakes called real: without / with the ceiling | real faces called real: without / with |"
          "\n|---|---:|---:|")
    rule = DecisionRule(threshold)
    for sigma in SIGMAS:
        said_real = np.array([rule.verdict(float(p)) == "real" for p in p_fake[sigma]])
        gated = noise[sigma] > chosen
        print(f"| {sigma} | {said_real[labels == 1].mean():.3f} / {(said_real & ~gated)[labels == 1].mean():.3f} | "
              f"{said_real[labels == 0].mean():.3f} / {(said_real & ~gated)[labels == 0].mean():.3f} |")
    if args.write and np.isfinite(chosen):
        card = model.card
        write_card(args.model, card.model_copy(update={"noise_ceiling": float(chosen), "version": card.version
                                                       + "+grain"}))
        print(f"written into {args.model / CARD_FILE}")


if __name__ == "__main__":
    main()
