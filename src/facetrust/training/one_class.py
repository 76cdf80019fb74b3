"""The loss of a detector with a one-class head (`models.heads.OneClassLogit`, the one-class softmax of Zhang, Jiang
& Li, 2021): binary cross-entropy on logits moved against their labels by the head's margin, which is the one-class
softmax loss log(1 + exp(scale (m_real - cos))) for a real face and log(1 + exp(scale (cos - m_fake))) for a fake."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

from facetrust.models.heads import one_class_margin


class OneClassLoss(nn.Module):
    """`nn.BCEWithLogitsLoss(pos_weight)` with the margins: a real face's logit counts as `margin` higher, a fake's
    as `margin` lower, so reals are only done when inside the narrow cone and fakes when outside the wide one."""

    def __init__(self, pos_weight: torch.Tensor | None = None) -> None:
        super().__init__()
        self.pos_weight = pos_weight
        self.margin = one_class_margin()

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        moved = logits + self.margin * (1 - 2 * targets)
        return functional.binary_cross_entropy_with_logits(moved, targets, pos_weight=self.pos_weight)
