"""The feature map a detector's classifier reads, caught on each forward pass for a head trained beside it.

Heads that train the detector's features without being shipped (training.boundary, training.source_adversary) read
the input of the network's last global pooling through a hook, so they work for every pooled backbone without a
second forward pass. The hook is set by `attach`, after any copy of the model is made (an EMA copy would otherwise
carry a hook of its own), and taken off by `remove` once training is over.
"""

from __future__ import annotations

import torch
from timm.layers import SelectAdaptivePool2d
from torch import nn


class FeatureTap:
    """The last feature map `model` computed (B, C, h, w), while attached."""

    def __init__(self, model: nn.Module) -> None:
        self._pooling = global_pooling(model)
        self._features: torch.Tensor | None = None
        self._hook: torch.utils.hooks.RemovableHandle | None = None

    def attach(self) -> None:
        self._hook = self._pooling.register_forward_pre_hook(self._catch)

    def _catch(self, _module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        self._features = inputs[0]

    def features(self) -> torch.Tensor:
        if self._features is None:
            raise RuntimeError("a head beside the model reads the model's last batch: run the model first")
        return self._features

    def remove(self) -> None:
        if self._hook is not None:
            self._hook.remove()
        self._hook, self._features = None, None


def global_pooling(model: nn.Module) -> nn.Module:
    """The last global pooling in `model`: its input is the feature map the classifier reads."""
    pools = [m for m in model.modules() if isinstance(m, (nn.AdaptiveAvgPool2d, SelectAdaptivePool2d))]
    if not pools:
        raise ValueError(f"{type(model).__name__} has no global pooling for a head beside it to read")
    return pools[-1]
