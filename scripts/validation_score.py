"""Score a trained detector by a recipe's pre-registered selection rule on that recipe's validation crops.

Usage: python scripts/validation_score.py --config configs/detector-general.yaml [--model DIR ...] [--views]
(default: the bundled detector). Prints the mean per-source validation ROC-AUC and each source's: the
number docs/DETECTOR.md's ship rule compares. `--views` scores each model once with and once without flip
averaging, whatever its card says: whether the second forward pass per face still earns its cost (issue 27).
Reads validation data only.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from scipy.special import logit

from facetrust.bundled import default_model_path
from facetrust.models.checkpoint import load_model
from facetrust.training import read_config
from facetrust.training.trainer import selection_score, validation_crops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--model", type=Path, action="append")
    parser.add_argument("--views", action="store_true", help="score with and without flip averaging")
    args = parser.parse_args()
    config = read_config(args.config)
    val = validation_crops(config, progress=False)
    for folder in args.model or [default_model_path()]:
        loaded = load_model(folder)
        for tta in ("flip", None) if args.views else (loaded.tta,):
            model = replace(loaded, card=loaded.card.model_copy(update={"tta": tta}))
            score, by_source = selection_score(config, val, logit(model.p_fake(val.crops).clip(1e-7, 1 - 1e-7)))
            sources = ", ".join(f"{name} {auc:.3f}" for name, auc in by_source.items())
            print(f"{model.name} ({folder}, views: {tta or 'crop only'}): selection score {score:.4f} [{sources}]")


if __name__ == "__main__":
    main()
