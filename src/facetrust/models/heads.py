"""A backbone (image → feature vector) with a small classification head, freezable."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn
from torch.nn import functional

HeadKind = Literal["linear", "one_class"]

# One-class softmax (Zhang, Jiang & Li, IEEE Signal Processing Letters 2021), made for spoofing attacks never seen in
# training: real faces must lie within a narrow cone around one learnt direction (cosine >= the first margin), fakes
# only outside a wide one (cosine <= the second), so "real" is what the training reals share and anything unlike them
# leans fake. Scale and margins are the paper's.
ONE_CLASS_SCALE = 20.0
ONE_CLASS_MARGINS = (0.9, 0.2)


def squeeze_single(logits: torch.Tensor) -> torch.Tensor:
    """(B,) for a one-logit model, (B, C) otherwise: the output shape of every facetrust model."""
    return logits.squeeze(1) if logits.shape[1] == 1 else logits


def one_class_margin() -> float:
    """How far the one-class loss moves each logit against its label (`training.one_class`): with it, binary
    cross-entropy on `OneClassLogit`'s output is the one-class softmax loss."""
    real, fake = ONE_CLASS_MARGINS
    return ONE_CLASS_SCALE * (real - fake) / 2


class OneClassLogit(nn.Module):
    """P(fake)'s logit from the cosine between the features and a learnt direction of real faces: 0 halfway between
    the two margins, falling by ONE_CLASS_SCALE per unit of cosine (one logit: the detector's output shape)."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.direction = nn.Parameter(torch.randn(1, num_features) / num_features**0.5)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        cosine = functional.linear(functional.normalize(features, dim=1), functional.normalize(self.direction, dim=1))
        return ONE_CLASS_SCALE * (sum(ONE_CLASS_MARGINS) / 2 - cosine)


class BackboneClassifier(nn.Module):
    """Features from `backbone`, then dropout and one linear layer (or, for `head="one_class"`, a one-class cosine
    logit). Output: (B,) if one class else (B, C).

    A single-channel input (grey or one colour channel) given to a 3-channel backbone is repeated to
    three channels, so ImageNet weights serve colour-mode ablations unchanged.
    """

    def __init__(self, backbone: nn.Module, num_features: int, num_classes: int, dropout: float = 0.2,
                 in_channels: int = 3, head: HeadKind = "linear") -> None:
        super().__init__()
        if head == "one_class" and num_classes != 1:
            raise ValueError(f"a one-class head gives one logit (P(fake)), not {num_classes} classes")
        if head not in ("linear", "one_class"):
            raise ValueError(f"head must be 'linear' or 'one_class', got {head!r}")
        self.backbone = backbone
        self.in_channels = in_channels
        self.num_features = num_features
        last = OneClassLogit(num_features) if head == "one_class" else nn.Linear(num_features, num_classes)
        self.head = nn.Sequential(nn.Dropout(dropout), last)
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
