"""Boundary supervision for self-blend training (Face X-ray, Li et al., CVPR 2020).

A self-blend's only tell is its seam, and the training loop knows exactly where it runs: the blend mask m that made
it. Face X-ray asks the network to draw that seam, 4 m (1 - m), and found the features that can draw it carry to
manipulations never trained on. Here a 1x1 convolution reads the detector's last feature map and predicts the seam
on that map's grid: on a blend its target is the seam, on a real crop nothing, on a fake of a data set (no mask
known) it is not asked. The head is trained beside the detector and dropped afterwards, so the shipped model and its
inference cost stay the architecture's own.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from facetrust.training.feature_tap import FeatureTap


def seam(mask: np.ndarray) -> np.ndarray:
    """Face X-ray's target for a blend mask in [0, 1]: 1 where the two images mix half and half, 0 where a pixel is
    wholly one image's."""
    return (4.0 * mask * (1.0 - mask)).astype(np.float32)


class BoundaryHead(nn.Module):
    """Predicts the seam map (logits on the last feature map's grid) of the batch `model` last ran forward on,
    reading the feature map through a `FeatureTap` (`attach` after any copy of the model is made, `remove` after
    training)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.conv = nn.Conv2d(model.num_features, 1, kernel_size=1)
        self._tap = FeatureTap(model)  # not a module: the model's layers are not this head's weights

    def attach(self) -> BoundaryHead:
        self._tap.attach()
        return self

    def forward(self) -> torch.Tensor:
        return self.conv(self._tap.features()).squeeze(1)

    def remove(self) -> None:
        self._tap.remove()


def boundary_loss(predicted: torch.Tensor, targets: list[np.ndarray | None]) -> torch.Tensor:
    """Mean binary cross-entropy between predicted seam logits (B, h, w) and the full-size seam maps averaged onto
    that grid; crops whose target is None (no mask known) count for nothing."""
    known = [i for i, target in enumerate(targets) if target is not None]
    if not known:
        return predicted.sum() * 0.0
    full = torch.from_numpy(np.stack([targets[i] for i in known])).unsqueeze(1)
    target = F.adaptive_avg_pool2d(full, predicted.shape[-2:]).squeeze(1)
    return F.binary_cross_entropy_with_logits(predicted[known].float(), target)

