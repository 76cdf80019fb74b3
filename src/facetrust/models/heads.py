"""A backbone (image → feature vector) with a small classification head, freezable."""

from __future__ import annotations

import torch
from torch import nn


def squeeze_single(logits: torch.Tensor) -> torch.Tensor:
    """(B,) for a one-logit model, (B, C) otherwise: the output shape of every facetrust model."""
    return logits.squeeze(1) if logits.shape[1] == 1 else logits


class BackboneClassifier(nn.Module):
    """Features from `backbone`, then dropout and one linear layer. Output: (B,) if one class else (B, C).

    A single-channel input (grey or one colour channel) given to a 3-channel backbone is repeated to
    three channels, so ImageNet weights serve colour-mode ablations unchanged.
    """

    def __init__(self, backbone: nn.Module, num_features: int, num_classes: int, dropout: float = 0.2,
                 in_channels: int = 3) -> None:
        super().__init__()
        self.backbone = backbone
        self.in_channels = in_channels
        self.num_features = num_features
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(num_features, num_classes))
        self.frozen = False

    def backbone_input(self, images: torch.Tensor) -> torch.Tensor:
        """`images` as the backbone takes them: a single channel repeated for a 3-channel backbone."""
        return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 and self.in_channels == 3 else images

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self.backbone(self.backbone_input(images))

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        """The output for penultimate `features` (from `features`, possibly averaged over test-time views)."""
        return squeeze_single(self.head(features))

    def logits_and_features(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The output and the penultimate features it came from (what temporal video models and the
        report's embedding map read), in one pass."""
        features = self.features(images)
        return self.classify(features), features

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.logits_and_features(images)[0]

    def freeze_backbone(self) -> None:
        """Train the head only; the backbone's batch-norm statistics stay as pretrained."""
        self.frozen = True
        for parameter in self.backbone.parameters():
            parameter.requires_grad = False

    def train(self, mode: bool = True) -> BackboneClassifier:
        super().train(mode)
        if self.frozen:
            self.backbone.eval()
        return self
