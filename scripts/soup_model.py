"""Make a greedy weight soup of detectors fine-tuned from one start, calibrated as the recipe calibrates a model.

Usage: python scripts/soup_model.py --config configs/detector-general-j.yaml --ingredient DIR [--ingredient DIR ...]
                                    --out runs/soup-k
The rule (docs/DETECTOR.md, "Candidate K"): each ingredient is scored by the recipe's selection score on its
validation crops with its own test-time views; best first, an ingredient joins the soup (the plain mean of the
chosen weights, `facetrust.models.weights_io.average`) only if the soup with it scores strictly higher (flip views);
the soup's views, temperature and threshold are then chosen as training chooses them (`finish_model`), and
`<out>/model` is written with every ingredient and every greedy step in its card. Reads validation data to choose;
the test split is only measured into the card.
"""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
from safetensors.torch import load, save

from facetrust.data.face_crops import CropSet
from facetrust.models.card import ModelCard, network_difference, read_card
from facetrust.models.checkpoint import WEIGHTS_FILE, build_module
from facetrust.models.inference import channels_last, predict_logits
from facetrust.models.weights_io import average
from facetrust.training import read_config
from facetrust.training.recipe import TrainConfig, preprocess_of
from facetrust.training.trainer import finish_model, selection_score, split_crops

SOUP_VIEWS = "flip"  # every ingredient chose flip averaging on validation; soups are judged the same way


def scored(config: TrainConfig, val: CropSet, card: ModelCard, weights: bytes, tta: str | None) -> float:
    """The recipe's selection score of these safetensors weights on the validation crops."""
    module = channels_last(build_module(card, [weights]))
    logits = predict_logits(module, preprocess_of(config), val.crops, config.batch_size, tta=tta)
    return selection_score(config, val, logits)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--ingredient", type=Path, action="append", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    config = read_config(args.config)
    cards = {folder: read_card(folder, ModelCard) for folder in args.ingredient}
    first = next(iter(cards.values()))
    for folder, card in cards.items():
        if field := network_difference(card, first):
            raise SystemExit(f"{folder} differs from {args.ingredient[0]} in {field}: not one model to average")
    splits = split_crops(config, ("val", "test"))
    files = {folder: (folder / WEIGHTS_FILE).read_bytes() for folder in args.ingredient}  # read once: scored, hashed
    weights = {folder: load(raw) for folder, raw in files.items()}
    alone = {folder: scored(config, splits["val"], cards[folder], files[folder], cards[folder].tta)
             for folder in args.ingredient}
    if any(np.isnan(score) for score in alone.values()):
        raise SystemExit(f"{args.config}: no validation source has {config.min_scored_faces} faces of each class, "
                         "so the selection score is undefined and there is nothing to choose a soup by")
    order = sorted(args.ingredient, key=lambda folder: -alone[folder])
    for folder in order:
        print(f"{folder}: {cards[folder].name} {cards[folder].version}, alone {alone[folder]:.4f} "
              f"(views: {cards[folder].tta or 'crop only'})")
    chosen, best, soup = [order[0]], alone[order[0]], files[order[0]]
    steps = [{"added": str(order[0]), "score": round(best, 4), "kept": True}]
    for folder in order[1:]:
        candidate = save(average([weights[f] for f in [*chosen, folder]]))
        trial = scored(config, splits["val"], first, candidate, SOUP_VIEWS)
        kept = trial > best
        print(f"soup of {len(chosen) + 1} with {folder}: {trial:.4f} against {best:.4f}: "
              f"{'kept' if kept else 'left out'}")
        steps.append({"added": str(folder), "score": round(trial, 4), "kept": kept})
        if kept:
            chosen, best, soup = [*chosen, folder], trial, candidate
    provenance = {"soup": {
        "rule": "greedy weight soup, docs/DETECTOR.md 'Candidate K'",
        "ingredients": [{"name": cards[f].name, "version": cards[f].version, "path": str(f),
                         "sha256": hashlib.sha256(files[f]).hexdigest(),
                         "score_alone": round(alone[f], 4), "in_soup": f in chosen} for f in order],
        "greedy_steps": steps}}
    soup_config = replace(config, name=f"{config.name or config.model}-soup", out=str(args.out))
    folder = finish_model(args.out, soup_config, channels_last(build_module(first, [soup])), splits, provenance)
    print(f"wrote {folder}: soup of {len(chosen)} ({', '.join(str(f) for f in chosen)}), selection score {best:.4f}")


if __name__ == "__main__":
    main()
