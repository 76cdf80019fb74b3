"""Make a routed detector: faces under a sharpness floor judged by one detector, every other face by another.

Usage: python scripts/route_detectors.py --config configs/detector-general-j.yaml --sharp DIR --soft DIR
                                         --floor 20 [--sharpness photo] [--noise-ceiling 4] [--second DIR]
                                         --name NAME --out runs/detector-r
`<out>/model` holds the routed card and the detectors' folders (`sharp/`, `soft/`, `second/`, copied byte for byte); its
temperature and threshold are fitted on the recipe's validation crops exactly as every detector's
(`trainer.calibrated_card`), from each face's calibrated logit given by its branch (`facetrust.models.routed`;
docs/DETECTOR.md, "Candidate R"). The test split is only measured into the card.
"""

from __future__ import annotations

import argparse
import shutil
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import facetrust
from facetrust.models.card import ROUTED, ModelCard, read_card, write_card
from facetrust.models.checkpoint import load_model, model_files, read_weights, weights_digest
from facetrust.models.routed import SECOND, SHARP, SHARPNESS_READINGS, SOFT, check_branches, load_routed
from facetrust.training import read_config
from facetrust.training.recipe import check_same_crops
from facetrust.training.trainer import calibrated_card, split_crops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True, help="the recipe whose validation crops calibrate")
    parser.add_argument("--sharp", type=Path, required=True, help="the detector for faces at or above the floor")
    parser.add_argument("--soft", type=Path, required=True, help="the detector for faces under the floor")
    parser.add_argument("--floor", type=float, required=True, help="sharpness (facetrust.models.routed.sharpness) "
                        "under which a face goes to --soft")
    parser.add_argument("--sharpness", choices=tuple(SHARPNESS_READINGS), default="centre",
                        help="photo: read sharpness on the photo's pixels only, not on the aligner's frame "
                        "(docs/DETECTOR.md, 'Candidate U')")
    parser.add_argument("--noise-ceiling", type=float, help="noise level (facetrust.models.routed.noise_level) over "
                        "which a face is smoothed and goes to --soft too (docs/DETECTOR.md, 'Candidate T')")
    parser.add_argument("--second", type=Path, help="a detector whose calibrated logit caps each sharp face's: the "
                        "smaller counts (docs/DETECTOR.md, 'Candidate Z')")
    parser.add_argument("--name", required=True, help="the routed model's name (its branches' are in its card)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    config = read_config(args.config, args.out)
    sources = {SHARP: args.sharp, SOFT: args.soft, **({SECOND: args.second} if args.second else {})}
    cards = {name: read_card(source, ModelCard) for name, source in sources.items()}
    for name in (SOFT, SECOND):
        if name in cards:
            check_branches(cards[SHARP], cards[name])
    check_same_crops(args.sharp, cards[SHARP].faces, config)
    folder = args.out / "model"
    for name, source in sources.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        for file in model_files(source):
            shutil.copyfile(file, folder / name / file.name)
    sharp = cards[SHARP]
    card = sharp.model_copy(update={
        "name": args.name,
        "version": datetime.now(UTC).strftime("%Y%m%d-%H%M%S"),
        "architecture": ROUTED,
        "architecture_options": {"floor": args.floor, SHARP: SHARP, SOFT: SOFT,
                                 **({"noise_ceiling": args.noise_ceiling} if args.noise_ceiling is not None else {}),
                                 **({SECOND: SECOND} if args.second else {}),
                                 **({"sharpness": args.sharpness} if args.sharpness != "centre" else {})},
        "temperature": 1.0, "threshold": None, "smallest_face": None, "metrics": {},
        "training": {"config": asdict(config), "routed": {
            "rule": "faces with sharpness under the floor go to the soft branch, docs/DETECTOR.md 'Candidate R'" + (
                "; so do faces over the noise ceiling, smoothed, 'Candidate T'" if args.noise_ceiling else "") + (
                "; a sharp face's logit is the smaller of its branch's and the second detector's, 'Candidate Z'"
                if args.second else ""),
            **{name: {"name": c.name, "version": c.version, "path": str(sources[name]),
                      "sha256": weights_digest(read_weights(sources[name]))}
               for name, c in cards.items()}}},
        "code_version": facetrust.__version__, "created": datetime.now(UTC).isoformat(timespec="seconds")})
    routed = load_routed(folder, card, load_model)  # uncalibrated: the branches' logits are what is fitted
    splits = split_crops(config, ("val", "test"))
    logits = {name: routed.logits(split.crops) for name, split in splits.items()}
    write_card(folder, ModelCard.model_validate({**card.model_dump(mode="json"),
                                                 **calibrated_card(config, splits, logits)}))
    print(f"wrote {folder}: {card.name}")


if __name__ == "__main__":
    main()
