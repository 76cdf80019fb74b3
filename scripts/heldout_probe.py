"""Is a held-out family's evidence in a model's features at all? A check after a leave-one-family-out gate; it decides
nothing.

Usage: python scripts/heldout_probe.py --config configs/detector-general.yaml --family swap \
           --model runs/lofo-l-swap/model [--model ...] [--imagenet effnet_lite0] [--from-sources]

For each held-out set of the family that has both classes: a linear probe (standardised logistic regression, its
regularisation chosen by 5-fold cross-validated ROC-AUC) on the model's frozen penultimate features, fitted on that
set's own *training* split (labels the fold never saw), and scored on its validation and test splits beside the
model's own logit. A probe far above the logit: the evidence is in the features, and the families the fold trained on
did not point its classifier at it. A probe near the logit: the features themselves lack it. `--imagenet NAME`
probes that registered network with its ImageNet weights, the folds' starting point, as a floor. Fake-only sets are
skipped (their training split has no real face to fit against).

`--from-sources` also fits one probe on each trained source's own training split (a fake-only source's fakes against
every trained source's real faces) and scores the held-out sets with it: which family's real-vs-fake direction, alone,
carries to the held-out one, and which points against it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from facetrust.data.sources import well_sampled
from facetrust.models import create_model
from facetrust.models.checkpoint import load_model
from facetrust.models.inference import predict_features
from facetrust.training import read_config
from facetrust.training.recipe import TrainConfig, preprocess_of
from facetrust.training.trainer import split_crops

C_GRID = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)
Extractor = Callable[[list], tuple[np.ndarray, np.ndarray | None]]  # crops -> (features, the model's logits or None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True, help="the recipe whose crops and splits are probed")
    parser.add_argument("--family", required=True)
    parser.add_argument("--model", type=Path, action="append", default=[])
    parser.add_argument("--imagenet", action="append", default=[], help="a registered network with ImageNet weights")
    parser.add_argument("--from-sources", action="store_true",
                        help="also fit a probe on each trained source's own training split and score the held-out sets")
    args = parser.parse_args()
    config = replace(read_config(args.config), leave_out=None, self_blend=0.0)
    held_out = [name for name, family in config.sources.items() if family == args.family]
    if not held_out:
        parser.error(f"no source of family {args.family!r} in {args.config}")
    sources = config.sources if args.from_sources else {name: args.family for name in held_out}
    splits = split_crops(replace(config, sources=sources), ("train", "val", "test"), progress=False)
    extractors = {str(folder): _trained(folder) for folder in args.model}
    extractors |= {f"imagenet {name}": _imagenet(config, name) for name in args.imagenet}
    trained = [name for name in sources if name not in held_out]
    for label, extract in extractors.items():
        seen = {split: (np.array([s.source for s in crops.samples]), crops.labels, *extract(crops.crops))
                for split, crops in splits.items()}
        for line in _probe(seen, held_out, trained):
            print(f"{label}: {line}")


def _trained(folder: Path) -> Extractor:
    model = load_model(folder, backend="torch")
    return lambda crops: model.features(crops)


def _imagenet(config: TrainConfig, name: str) -> Extractor:
    network = create_model(name, pretrained=True).eval()
    preprocess = preprocess_of(replace(config, model=name))
    return lambda crops: (predict_features(network, network, preprocess, crops)[0], None)


def _fitting_faces(seen: dict, name: str, trained: list[str]) -> np.ndarray | None:
    """Which training faces a probe for source `name` fits on: its own split when it has both classes; a fake-only
    source's fakes against every trained source's real faces; None for a real-only source."""
    names, labels = seen["train"][:2]
    own = names == name
    if len(set(labels[own])) == 2:
        return own
    if labels[own].min() == 1:
        return own | (np.isin(names, trained) & (labels == 0))
    return None


def _probe(seen: dict, held_out: list[str], trained: list[str]) -> list[str]:
    """One line per held-out two-class set, scored split and probe: the model's logit ROC-AUC and the probe's, the
    probe fitted on the held-out set's own training split, then (with trained sources) on each of theirs."""
    readable = well_sampled(list(seen["val"][0]), seen["val"][1])
    names, labels = seen["train"][:2]
    lines = []
    for name in held_out:
        if len(set(labels[names == name])) < 2:
            continue
        for fitted_on in [name, *trained]:
            chosen = _fitting_faces(seen, fitted_on, trained)
            if chosen is None:
                continue
            search = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
                                  {"logisticregression__C": C_GRID}, scoring="roc_auc", cv=5)
            search.fit(seen["train"][2][chosen], labels[chosen])
            for split in ("val", "test"):
                split_names, split_labels, features, logits = seen[split]
                scored = split_names == name
                logit = f"{roc_auc_score(split_labels[scored], logits[scored]):.3f}" if logits is not None else "-"
                probe = roc_auc_score(split_labels[scored], search.decision_function(features[scored]))
                lines.append(f"{name} {split} (n {int(scored.sum())}): model's logit ROC-AUC {logit}, probe fitted on "
                             f"{fitted_on}'s training split {probe:.3f} (C "
                             f"{search.best_params_['logisticregression__C']:g}, {int(chosen.sum())} training faces)"
                             f"{'' if name in readable else ' (too few validation faces to read)'}")
    return lines


if __name__ == "__main__":
    main()
