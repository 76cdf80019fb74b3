"""Join trained detectors into one equal-weight ensemble, calibrated as the recipe calibrates a model.

Usage: python scripts/pair_detectors.py --config configs/detector-general-j.yaml --model DIR --model DIR
                                        --out runs/detector-jl [--leave-out FAMILY] [--views auto|flip|crop]
The ensemble (docs/DETECTOR.md, "Candidate L") averages the members' logits, each divided by its own temperature
(`facetrust.models.ensemble`); nothing is fitted but the ensemble's views, temperature and threshold, chosen on the
recipe's validation crops exactly as training chooses them (`finish_model`); `--views crop` scores each face once
(no flip view: half the cost, docs/DETECTOR.md "Issue 23's cost budget"). `<out>/model` is written with every
member's name, version and weights' sha256 in its card. The test split is only measured into the card.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from facetrust.models.card import ModelCard, read_card
from facetrust.models.checkpoint import read_weights, weights_digest
from facetrust.models.ensemble import check_members, member_spec
from facetrust.models.inference import channels_last
from facetrust.models.registry import create_model
from facetrust.training import read_config
from facetrust.training.recipe import check_same_crops
from facetrust.training.trainer import finish_model, split_crops

VIEWS = {"auto": None, "flip": True, "crop": False}  # the recipe's `tta` setting each choice stands for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True, help="the recipe whose validation crops calibrate")
    parser.add_argument("--model", type=Path, action="append", required=True, help="a trained detector folder")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--leave-out", help="a leave-one-family-out fold: calibrate without this family, as the "
                        "members' fold runs chose without it")
    parser.add_argument("--views", choices=sorted(VIEWS), default="auto",
                        help="auto: flip views only if they raise the validation score (the recipe's rule)")
    args = parser.parse_args()
    members = [member_spec(folder) for folder in args.model]
    check_members(members, task="detector")
    cards = [read_card(folder, ModelCard) for folder in args.model]
    config = read_config(args.config, args.out)
    config = replace(config, model="ensemble", init_weights=None, leave_out=args.leave_out or config.leave_out,
                     tta=VIEWS[args.views],
                     img_size=max(m["preprocess"]["size"] for m in members),
                     name="+".join(card.name for card in cards),
                     model_options={"members": members, "weights": [str(folder) for folder in args.model]})
    for folder, card in zip(args.model, cards, strict=True):
        check_same_crops(folder, card.faces, config)
    module = create_model("ensemble", num_classes=1, pretrained=True, **config.model_options)
    provenance = {"ensemble": {
        "rule": "equal-weight mean of the members' calibrated logits, docs/DETECTOR.md 'Candidate L'",
        "members": [{"name": card.name, "version": card.version, "path": str(folder),
                     "sha256": weights_digest(read_weights(folder))}
                    for folder, card in zip(args.model, cards, strict=True)]}}
    splits = split_crops(config, ("val", "test"))
    folder = finish_model(args.out, config, channels_last(module.eval()), splits, provenance)
    print(f"wrote {folder}: ensemble of {len(members)} ({', '.join(str(f) for f in args.model)})")


if __name__ == "__main__":
    main()
