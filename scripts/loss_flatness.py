"""How much a detector's validation loss rises when its weights are shaken: the check that a recipe with `sam_rho`
(sharpness-aware minimisation, docs/DETECTOR.md "Candidate AC") found a flatter minimum than the same recipe without.

Usage: python scripts/loss_flatness.py --config configs/detector-general-l-lofo.yaml --leave-out swap
                                       --model runs/lofo-l-swap/model --model runs/lofo-ac-swap/model
Every convolution and linear weight gets Gaussian noise scaled, filter by filter, to `alpha` times that filter's own
norm (filter-normalised directions, Li et al., NeurIPS 2018, so layers of any scale are shaken alike); batch-norm
and biases stay. Printed per model: the mean binary cross-entropy on a fixed draw of the recipe's validation crops
(self-blends excluded), and its mean rise (and spread) over a few noise draws at each alpha. Same crops, same noise
draws for every model: a smaller rise is a flatter minimum.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import torch

from facetrust.models.checkpoint import load_model
from facetrust.models.inference import predict_logits
from facetrust.models.preprocess import Preprocess
from facetrust.training import read_config
from facetrust.training.trainer import split_crops


def mean_loss(module: torch.nn.Module, preprocess: Preprocess, views: list[np.ndarray], labels: torch.Tensor) -> float:
    """Mean binary cross-entropy of the module's logits on the crops."""
    logits = torch.tensor(predict_logits(module, preprocess, views).reshape(len(views)))
    return float(torch.nn.functional.binary_cross_entropy_with_logits(logits, labels))


def shaken_rise(module: torch.nn.Module, loss_at: Callable[[], float], base: float, alpha: float,
                draws: int) -> list[float]:
    """The loss's rise above `base` at `draws` filter-normalised random weight moves of relative size `alpha`
    (weights restored afterwards)."""
    start = {name: value.clone() for name, value in module.state_dict().items()}
    rises = []
    for draw in range(draws):
        generator = torch.Generator().manual_seed(draw)
        with torch.no_grad():
            for parameter in module.parameters():
                if parameter.ndim >= 2:
                    noise = torch.randn(parameter.shape, generator=generator)
                    scale = parameter.flatten(1).norm(dim=1) / noise.flatten(1).norm(dim=1)
                    parameter.add_(alpha * noise * scale.view(-1, *[1] * (parameter.ndim - 1)))
        rises.append(loss_at() - base)
        module.load_state_dict(start)
    return rises


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--leave-out", default=None, help="the family the models' fold left out")
    parser.add_argument("--model", type=Path, action="append", required=True)
    parser.add_argument("--faces", type=int, default=300, help="validation crops drawn (fixed seed)")
    parser.add_argument("--alpha", type=float, action="append", help="relative move sizes (default 0.05, 0.1)")
    parser.add_argument("--draws", type=int, default=2)
    args = parser.parse_args()
    config = replace(read_config(args.config), leave_out=args.leave_out, self_blend=0.0)
    crops = split_crops(config, ("val",), progress=False)["val"]
    pick = np.random.default_rng(0).permutation(len(crops.crops))[:args.faces]
    views = [crops.crops[i] for i in pick]
    labels = torch.tensor(crops.labels[pick], dtype=torch.float32)
    for path in args.model:
        loaded = load_model(path, backend="torch")
        loss_at = partial(mean_loss, loaded.module, loaded.preprocess, views, labels)
        base = loss_at()
        parts = [f"{path}: {len(views)} validation faces, loss {base:.4f}"]
        for alpha in args.alpha or [0.05, 0.1]:
            rises = shaken_rise(loaded.module, loss_at, base, alpha, args.draws)
            parts.append(f"alpha {alpha}: +{np.mean(rises):.4f} (sd {np.std(rises):.4f})")
        print("; ".join(parts), flush=True)


if __name__ == "__main__":
    main()
