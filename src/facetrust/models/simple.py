"""Models trained from scratch: a dense baseline and a small configurable CNN."""

from __future__ import annotations

from torch import nn

from facetrust.models.heads import BackboneClassifier, HeadKind
from facetrust.models.preprocess import Preprocess
from facetrust.models.registry import register_model

SCRATCH_NORM = {"mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5)}


@register_model("ffnn", Preprocess(size=64, **SCRATCH_NORM), "dense network on 64x64 pixels (baseline)")
def build_ffnn(num_classes: int = 1, pretrained: bool = False, size: int = 64, channels: int = 3,
               hidden: tuple[int, ...] = (512, 128), dropout: float = 0.3, **_: object) -> nn.Module:
    layers: list[nn.Module] = [nn.Flatten()]
    width = size * size * channels
    for units in hidden:
        layers += [nn.Linear(width, units), nn.ReLU(inplace=True), nn.Dropout(dropout)]
        width = units
    return BackboneClassifier(nn.Sequential(*layers), width, num_classes, dropout=0.0, in_channels=channels)


@register_model("cnn", Preprocess(size=128, **SCRATCH_NORM), "small CNN from scratch (depth/width configurable)")
def build_cnn(num_classes: int = 1, pretrained: bool = False, channels: int = 3, depth: int = 4, width: int = 32,
              kernel: int = 3, dropout: float = 0.3, head: HeadKind = "linear", **_: object) -> nn.Module:
    layers: list[nn.Module] = []
    previous = channels
    for level in range(depth):
        current = width * 2**level
        layers += [nn.Conv2d(previous, current, kernel, padding=kernel // 2, bias=False),
                   nn.BatchNorm2d(current), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
        previous = current
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return BackboneClassifier(nn.Sequential(*layers), previous, num_classes, dropout, in_channels=channels, head=head)
