"""Is a held-out family's evidence in a model's features at all? A check after a leave-one-family-out gate; it decides
nothing.

Usage: python scripts/heldout_probe.py --config configs/detector-general.yaml --family swap \
           --model runs/lofo-l-swap/model [--model ...] [--imagenet effnet_lite0]

For each held-out set of the family that has both classes: a linear probe (standardised logistic regression, its
regularisation chosen by 5-fold cross-validated ROC-AUC) on the model's frozen penultimate features, fitted on that
set's own *training* split (labels the fold never saw), and scored on its validation and test splits beside the
model's own logit. A probe far above the logit: the evidence is in the features, and the families the fold trained on
did not point its classifier at it. A probe near the logit: the features themselves lack it. `--imagenet NAME`
probes that registered network with its ImageNet weights, the folds' starting point, as a floor. Fake-only sets are
skipped (their training split has no real face to fit against).
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

from facetrust.data.face_crops import CropSet
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
    args = parser.parse_args()
    config = replace(read_config(args.config), leave_out=None, self_blend=0.0)
    held_out = {name: family for name, family in config.sources.items() if family == args.family}
    if not held_out:
        parser.error(f"no source of family {args.family!r} in {args.config}")
    splits = split_crops(replace(config, sources=held_out), ("train", "val", "test"), progress=False)
    extractors = {str(folder): _trained(folder) for folder in args.model}
    extractors |= {f"imagenet {name}": _imagenet(config, name) for name in args.imagenet}
    for label, extract in extractors.items():
        for line in _probe(splits, list(held_out), extract):
            print(f"{label}: {line}")


def _trained(folder: Path) -> Extractor:
    model = load_model(folder, backend="torch")
    return lambda crops: model.features(crops)


def _imagenet(config: TrainConfig, name: str) -> Extractor:
    network = create_model(name, pretrained=True).eval()
    preprocess = preprocess_of(replace(config, model=name))
    return lambda crops: (predict_features(network, network, preprocess, crops)[0], None)


def _probe(splits: dict[str, CropSet], names: list[str], extract: Extractor) -> list[str]:
    """One line per held-out two-class set and scored split: the model's logit ROC-AUC and the probe's."""
    seen = {split: (np.array([s.source for s in crops.samples]), crops.labels, *extract(crops.crops))
            for split, crops in splits.items()}
    readable = well_sampled(list(seen["val"][0]), seen["val"][1])
    lines = []
    for name in names:
        train_names, train_labels, train_features, _ = seen["train"]
        own = train_names == name
        if len(set(train_labels[own])) < 2:
            continue
        search = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
                              {"logisticregression__C": C_GRID}, scoring="roc_auc", cv=5)
        search.fit(train_features[own], train_labels[own])
        for split in ("val", "test"):
            split_names, labels, features, logits = seen[split]
            chosen = split_names == name
            logit = f"{roc_auc_score(labels[chosen], logits[chosen]):.3f}" if logits is not None else "-"
            probe = roc_auc_score(labels[chosen], search.decision_function(features[chosen]))
            lines.append(f"{name} {split} (n {int(chosen.sum())}): model's logit ROC-AUC {logit}, probe fitted on "
                         f"{name}'s training split {probe:.3f} (C {search.best_params_['logisticregression__C']:g}, "
                         f"{int(own.sum())} training faces)"
                         f"{'' if name in readable else ' (too few validation faces to read)'}")
    return lines


if __name__ == "__main__":
    main()
