"""The held-out family of a leave-one-family-out run, scored as the recipe scores its sources (docs/DETECTOR.md).

Usage: python scripts/heldout_family.py --config configs/detector-general.yaml --model runs/lofo-gan/model
                                        --family gan
Scores every source's val and test crops (the held-out family's included) with the model and prints, per split, each
held-out set's ROC-AUC by `facetrust.data.sources.per_source_auc` (a two-class set within itself, a fake-only set
against every other source's real faces of that split), its recall and its real faces called fake at the model's
threshold (a kind of real photo the model never saw: how often it accuses one), and the family's mean over
its well-sampled sets (at least 10 faces per class), the number the leave-one-family-out table reports.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from facetrust.data.sources import per_source_auc, well_sampled
from facetrust.models.checkpoint import load_model
from facetrust.training import read_config
from facetrust.training.trainer import split_crops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--family", required=True)
    args = parser.parse_args()
    config = replace(read_config(args.config), leave_out=None, self_blend=0.0)  # every source, no blends
    held_out = [name for name, family in config.sources.items() if family == args.family]
    model = load_model(args.model)
    threshold = model.card.threshold
    for split, crops in split_crops(config, ("val", "test"), progress=False).items():
        names = [sample.source for sample in crops.samples]
        p_fake = model.p_fake(crops.crops)
        aucs = per_source_auc(names, crops.labels, p_fake)
        counted = [name for name in well_sampled(names, crops.labels) if name in held_out and name in aucs]
        for name in held_out:
            own = np.asarray(names) == name
            fakes, reals = own & (crops.labels == 1), own & (crops.labels == 0)
            recall, fpr = (float((p_fake[chosen] >= threshold).mean()) if chosen.any() else float("nan")
                           for chosen in (fakes, reals))
            print(f"{split} {name}: n real {int(reals.sum())} / fake {int(fakes.sum())}, "
                  f"ROC-AUC {aucs.get(name, float('nan')):.3f}, at {threshold:.3f} recall {recall:.3f}, "
                  f"real faces called fake {fpr:.3f}"
                  f"{'' if name in counted else ' (too few faces: not in the mean)'}")
        mean = np.mean([aucs[name] for name in counted]) if counted else float("nan")
        print(f"{split}: held-out family {args.family} mean ROC-AUC {mean:.3f} over {', '.join(counted)}")


if __name__ == "__main__":
    main()
