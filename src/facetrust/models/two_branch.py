"""Candidate D of the generalising detector (docs/DETECTOR.md): whole-face and local-patch evidence in one network.

The patch branch reads MobileNetV2's early blocks, which the whole-face branch computes anyway, so the second
kind of evidence costs one 1x1 convolution, not a second network. Each branch has its own linear head and the
crop's logit is their sum: what each branch added to a verdict can be read off (issue 23 point 6).
"""

from __future__ import annotations

import torch
from torch import nn

from facetrust.models.backbones import imagenet_mobilenet_v2
from facetrust.models.heads import BackboneClassifier, squeeze_single
from facetrust.models.preprocess import IMAGENET_MEAN, IMAGENET_STD, Preprocess
from facetrust.models.registry import register_model


class TwoBranchDetector(BackboneClassifier):
    """MobileNetV2 (`backbone`, `head`: the same names and shapes as `mobilenet_v2`, so a trained one-branch
    detector is a valid start) plus a patch branch on the output of its first `blocks` blocks: a 1x1 convolution
    per location, averaged, and its own linear head (`patch_head`, zero at start so the sum begins as the
    one-branch model).

    Branch dropout: in training, `branch_drop` of the crops have their face logit dropped and as many their
    patch logit, so each branch must stand as a detector on its own and neither can leave the work to the other.
    """

    def __init__(self, features: nn.Sequential, blocks: int, width: int, num_classes: int, dropout: float,
                 branch_drop: float) -> None:
        super().__init__(nn.Sequential(features, nn.AdaptiveAvgPool2d(1), nn.Flatten()), features[-1].out_channels,
                         num_classes, dropout)
        self.blocks = blocks
        self.branch_drop = branch_drop
        channels = features[blocks - 1].out_channels
        self.patch = nn.Sequential(nn.Conv2d(channels, width, 1, bias=False), nn.BatchNorm2d(width),
                                   nn.ReLU6(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.patch_head = nn.Sequential(nn.Dropout(dropout), nn.Linear(width, num_classes))
        nn.init.zeros_(self.patch_head[1].weight)
        nn.init.zeros_(self.patch_head[1].bias)
        self.num_features += width

    def _branches(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pooled (face, patch) features."""
        features, pool, flatten = self.backbone
        early = features[:self.blocks](self.backbone_input(images))
        face = flatten(pool(features[self.blocks:](early)))
        return face, self.patch(early)

    def branch_logits(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each branch's share of the logit of these (pooled, concatenated) features; they sum to it: which
        kind of evidence drove a verdict."""
        face, patch = features.split([self.head[1].in_features, self.patch_head[1].in_features], dim=1)
        return {"face": squeeze_single(self.head(face)), "patch": squeeze_single(self.patch_head(patch))}

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return sum(self.branch_logits(features).values())

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return torch.cat(self._branches(images), dim=1)

    def logits_and_features(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        face, patch = self._branches(images)
        face_logit, patch_logit = self.head(face), self.patch_head(patch)
        if self.training and self.branch_drop > 0:
            draw = torch.rand(len(images), 1, device=images.device)
            face_logit = face_logit * (draw >= self.branch_drop)
            patch_logit = patch_logit * ((draw < self.branch_drop) | (draw >= 2 * self.branch_drop))
        return squeeze_single(face_logit + patch_logit), torch.cat([face, patch], dim=1)

    def freeze_backbone(self) -> None:
        super().freeze_backbone()
        for parameter in self.patch.parameters():
            parameter.requires_grad = False


@register_model("mobilenet_v2_two_branch", Preprocess(size=224, mean=IMAGENET_MEAN, std=IMAGENET_STD,
                                                      interpolation="bilinear"),
                "MobileNetV2 plus a patch branch on its first `blocks` blocks, logits summed (ImageNet weights)")
def build_two_branch(num_classes: int = 1, pretrained: bool = True, dropout: float = 0.2, blocks: int = 7,
                     width: int = 256, branch_drop: float = 0.25, **_: object) -> nn.Module:
    if not 0 <= branch_drop <= 0.5:
        raise ValueError(f"branch_drop must be in [0, 0.5] (each branch is dropped that often), got {branch_drop}")
    return TwoBranchDetector(imagenet_mobilenet_v2(pretrained).features, blocks, width, num_classes, dropout,
                             branch_drop)
