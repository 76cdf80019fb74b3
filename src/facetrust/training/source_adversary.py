"""Source-adversarial training: features from which a crop's source cannot be read within its class.

A multi-source detector can learn which set a crop came from instead of whether it is fake, and a family it never
trained on passes as real when it lacks the marks of the training fakes (docs/DETECTOR.md, candidate AB). Following
domain-adversarial training (Ganin & Lempitsky, ICML 2015), conditioned on the class: a head beside the detector
learns to tell the sources apart, among the real crops and among the fake ones (self-blends a source of their own),
and the detector gets that head's gradient reversed, so what it keeps is what the fakes of every source share and
what the reals of every source share. The head is dropped after training: the shipped model is the architecture's.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from facetrust.training.feature_tap import FeatureTap


class _ReverseGradient(torch.autograd.Function):
    """Identity forward; the gradient multiplied by -strength backward."""

    @staticmethod
    def forward(ctx, features: torch.Tensor, strength: float) -> torch.Tensor:
        ctx.strength = strength
        return features.view_as(features)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.strength * grad, None


def reverse_gradient(features: torch.Tensor, strength: float) -> torch.Tensor:
    return _ReverseGradient.apply(features, strength)


def ramp(progress: float) -> float:
    """DANN's schedule from 0 to 1 over training (`progress` the share of steps done): the detector first learns
    its task, then the reversed gradient grows."""
    return 2.0 / (1.0 + math.exp(-10.0 * progress)) - 1.0


class SourceAdversary(nn.Module):
    """Tells the sources of the batch the model last ran forward on apart, one output group per class."""

    def __init__(self, model: nn.Module, real_sources: list[str], fake_sources: list[str], hidden: int = 256) -> None:
        super().__init__()
        if len(real_sources) < 2 and len(fake_sources) < 2:
            raise ValueError("a source adversary needs two sources in a class to tell apart")
        self.sources = {0: list(real_sources), 1: list(fake_sources)}
        self.body = nn.Sequential(nn.Linear(model.num_features, hidden), nn.ReLU())
        self.real = nn.Linear(hidden, max(len(real_sources), 1))
        self.fake = nn.Linear(hidden, max(len(fake_sources), 1))
        self._tap = FeatureTap(model)  # not a module: the model's layers are not this head's weights

    def attach(self) -> SourceAdversary:
        self._tap.attach()
        return self

    def remove(self) -> None:
        self._tap.remove()

    def loss(self, sources: list[str], labels: torch.Tensor, strength: float) -> torch.Tensor:
        """Mean cross-entropy of each crop's source among its class's sources (labels 0 real, 1 fake), its gradient
        into the model reversed and scaled by `strength`."""
        pooled = self._tap.features().float().mean(dim=(2, 3))
        hidden = self.body(reverse_gradient(pooled, strength))
        total = hidden.sum() * 0.0
        for label, head in ((0, self.real), (1, self.fake)):
            rows = [i for i, value in enumerate(labels.tolist()) if int(value) == label]
            if rows and len(self.sources[label]) > 1:
                targets = torch.tensor([self.sources[label].index(sources[i]) for i in rows])
                total = total + F.cross_entropy(head(hidden[rows]), targets, reduction="sum")
        return total / len(sources)
