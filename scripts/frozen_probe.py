"""Does a frozen ImageNet backbone with a linear probe generalise across fake families better than fine-tuning?

Usage: python scripts/frozen_probe.py --config configs/detector-general.yaml --out runs/probe
                                      [--backbone effnet_lite2]

Fine-tuned detectors learn the traces of the families they see (docs/DETECTOR.md, leave-one-family-out). A
linear probe on frozen features (Ojha et al., CVPR 2023, with CLIP) cannot reshape the features to a family's
trace, so it may hold better on a family it never saw. This measures that on the shared sets with the
backbones that ship offline: per-channel mean and standard deviation of every stage's activations (low stages
keep texture and blending cues, the last one semantics), a standardised logistic regression, and one fixed
self-blend per real training and validation face as extra fakes (as the fine-tuned recipe uses).

For every family it trains without that family, picks the regularisation on the training families' validation
(mean per-source ROC-AUC, the recipe's selection rule) and prints the held-out sets' val and test ROC-AUC by
the same rule as scripts/heldout_family.py. Then the same with every family ("all"). Test is only printed.
Features are cached in `--out` (one file per backbone), so a second run takes seconds.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from tqdm import tqdm

from facetrust.data.sources import SELF_BLEND, per_source_auc, well_sampled
from facetrust.faces.landmarks import crop_shape_68
from facetrust.models.backbones import imagenet_effnet_lite, imagenet_mobilenet_v2
from facetrust.models.preprocess import IMAGENET_MEAN, IMAGENET_STD, Preprocess
from facetrust.training import read_config
from facetrust.training.trainer import blended_crop, split_crops

C_GRID = (0.001, 0.003, 0.01, 0.03, 0.1)


def stage_modules(name: str) -> tuple[torch.nn.Module, list[torch.nn.Module], Preprocess]:
    """The backbone, the modules whose outputs are pooled, and its preprocessing at the crops' 256 px."""
    if name.startswith("effnet_lite"):
        model = imagenet_effnet_lite(int(name[-1]))
        return model, [*model.blocks, model.bn2], Preprocess(size=256, mean=(0.5,) * 3, std=(0.5,) * 3)
    model = imagenet_mobilenet_v2()
    return model, list(model.features), Preprocess(size=256, mean=IMAGENET_MEAN, std=IMAGENET_STD)


@torch.inference_mode()
def pooled_features(crops: list[np.ndarray], backbone: str) -> np.ndarray:
    """Per-channel mean and standard deviation of every stage's output, one row per crop."""
    model, stages, preprocess = stage_modules(backbone)
    model.eval()
    outputs: list[torch.Tensor] = []
    for stage in stages:
        stage.register_forward_hook(lambda _m, _i, out: outputs.append(out))
    rows = []
    for start in tqdm(range(0, len(crops), 32), desc=f"{backbone} features", unit="batch"):
        outputs.clear()
        model(torch.stack([preprocess(c) for c in crops[start:start + 32]]))
        rows.append(torch.cat([torch.cat([o.mean((2, 3)), o.std((2, 3))], 1) for o in outputs], 1).numpy())
    return np.concatenate(rows)


def feature_table(config_path: Path, out: Path, backbone: str) -> dict[str, np.ndarray]:
    """Features, labels, sources and splits of every crop of every split, self-blends of train and val added."""
    cache = out / f"{backbone}.npz"
    if cache.exists():
        return dict(np.load(cache))
    config = replace(read_config(config_path), leave_out=None, self_blend=0.0)
    crops, labels, sources, splits = [], [], [], []
    for split, crop_set in split_crops(config, ("train", "val", "test")).items():
        for i, (crop, sample) in enumerate(zip(crop_set.crops, crop_set.samples, strict=True)):
            crops.append(crop)
            labels.append(sample.label)
            sources.append(sample.source)
            splits.append(split)
            if split != "test" and sample.label == 0:
                blend = blended_crop(crop, crop_shape_68(crop, config.margin), np.random.default_rng([7, i])).image
                crops.append(blend)
                labels.append(1)
                sources.append(SELF_BLEND)
                splits.append(split)
    table = {"features": pooled_features(crops, backbone), "labels": np.array(labels),
             "sources": np.array(sources), "splits": np.array(splits)}
    out.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **table)
    return table


def fit_probe(table: dict[str, np.ndarray], families: dict[str, str], held_out: str | None) -> tuple[object, float]:
    """A logistic regression on the training families' train crops, its C chosen on their validation crops."""
    keep = np.array([families.get(s, "blend") != held_out for s in table["sources"]])
    train = keep & (table["splits"] == "train")
    val = keep & (table["splits"] == "val")
    best = (None, -1.0)
    for c in C_GRID:
        probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
        probe.fit(table["features"][train], table["labels"][train])
        p_fake = probe.predict_proba(table["features"][val])[:, 1]
        names = table["sources"][val].tolist()
        aucs = per_source_auc(names, table["labels"][val], p_fake)
        score = float(np.mean([aucs[n] for n in well_sampled(names, table["labels"][val]) if n in aucs]))
        print(f"  C={c}: validation selection score {score:.3f}")
        if score > best[1]:
            best = (probe, score)
    return best


def report(table: dict[str, np.ndarray], probe: object, families: dict[str, str], held_out: str | None) -> None:
    """Per-source ROC-AUC on val and test (no self-blends), the held-out family's sets marked."""
    for split in ("val", "test"):
        rows = (table["splits"] == split) & (table["sources"] != SELF_BLEND)
        names = table["sources"][rows].tolist()
        aucs = per_source_auc(names, table["labels"][rows], probe.predict_proba(table["features"][rows])[:, 1])
        counted = [n for n in well_sampled(names, table["labels"][rows]) if n in aucs]
        shown = ", ".join(f"{n}{'*' if families[n] == held_out else ''} {aucs[n]:.3f}" for n in counted)
        own = [aucs[n] for n in counted if families[n] == held_out]
        tail = f"; held-out mean {np.mean(own):.3f}" if own else f"; mean {np.mean([aucs[n] for n in counted]):.3f}"
        print(f"  {split}: {shown}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--backbone", default="effnet_lite2", choices=("effnet_lite0", "effnet_lite2", "mobilenet_v2"))
    args = parser.parse_args()
    families = read_config(args.config).sources
    table = feature_table(args.config, args.out, args.backbone)
    print(f"{args.backbone}: {table['features'].shape[1]} features, {len(table['labels'])} crops")
    for held_out in ("gan", "diffusion", "flux", "swap", None):
        print(f"held out: {held_out or 'none (all families)'}")
        probe, _score = fit_probe(table, families, held_out)
        report(table, probe, families, held_out)


if __name__ == "__main__":
    main()
