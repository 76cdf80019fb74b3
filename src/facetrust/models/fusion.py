"""Models that read dlib face encodings: `encoding_mlp` alone, `fusion_<image model>_enc` beside an image branch.

The reference studies found the encoding model strong (91.8%) and fusion no better. Both take the crop's
encoding plus a found-flag (`ENCODING_INPUTS`; a zero encoding when dlib finds no face in the crop, see
`facetrust.embeddings.encode_crops`) as a second input: `model(images, encodings)`.
"""

from __future__ import annotations

import torch
from torch import nn

import facetrust.models.backbones
import facetrust.models.simple  # noqa: F401  the image models must be registered before their fusion variants
from facetrust.embeddings import ENCODING_INPUTS
from facetrust.errors import FacetrustError
from facetrust.models.heads import BackboneClassifier, squeeze_single
from facetrust.models.preprocess import Preprocess
from facetrust.models.registry import create_model, model_entry, register_model

FUSABLE = ("ffnn", "cnn", "effnet_lite0", "effnet_lite1", "effnet_lite2", "mobilenet_v2")  # BackboneClassifiers
ENCODING_CROP_SIZE = 224  # crops dlib encodes for encoding_mlp: the same crops as the ImageNet models' (shared cache)


def _encoding_branch(units: tuple[int, ...], dropout: float) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    width = ENCODING_INPUTS
    for size in units:
        layers += [nn.Linear(width, size), nn.ReLU(inplace=True), nn.Dropout(dropout)]
        width = size
    return nn.Sequential(*layers), width


class EncodingClassifier(nn.Module):
    """A dense network on the encoding; the image input is accepted and ignored (one calling convention)."""

    needs_encodings = True

    def __init__(self, num_classes: int = 1, hidden: tuple[int, ...] = (128, 64), dropout: float = 0.3) -> None:
        super().__init__()
        self.branch, width = _encoding_branch(hidden, dropout)
        self.head = nn.Linear(width, num_classes)

    def forward(self, images: torch.Tensor, encodings: torch.Tensor) -> torch.Tensor:
        logits = self.head(self.branch(encodings))
        return squeeze_single(logits)

    def freeze_backbone(self) -> None:
        raise FacetrustError("encoding_mlp has no image backbone to freeze")


class FusionClassifier(BackboneClassifier):
    """Image features and an encoding branch, concatenated before one shared linear head."""

    needs_encodings = True

    def __init__(self, image_model: BackboneClassifier, num_classes: int = 1, encoding_units: int = 64,
                 dropout: float = 0.2) -> None:
        super().__init__(image_model.backbone, image_model.num_features + encoding_units, num_classes, dropout,
                         image_model.in_channels)
        self.encoding_branch, _ = _encoding_branch((encoding_units,), dropout)

    def forward(self, images: torch.Tensor, encodings: torch.Tensor) -> torch.Tensor:
        joined = torch.cat([self.features(images), self.encoding_branch(encodings)], dim=1)
        logits = self.head(joined)
        return squeeze_single(logits)


@register_model("encoding_mlp", Preprocess(size=ENCODING_CROP_SIZE, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
                "dense network on the dlib 128-d encoding of the face crop", inputs=("image", "encoding"))
def build_encoding_mlp(num_classes: int = 1, pretrained: bool = False, hidden: tuple[int, ...] = (128, 64),
                       dropout: float = 0.3, **_: object) -> nn.Module:
    return EncodingClassifier(num_classes, tuple(hidden), dropout)


def _register_fusion(image_name: str) -> None:
    entry = model_entry(image_name)

    @register_model(f"fusion_{image_name}_enc", entry.preprocess,
                    f"{image_name} image branch + dlib encoding branch, one shared head", inputs=("image", "encoding"),
                    extends=image_name)
    def build(num_classes: int = 1, pretrained: bool = True, encoding_units: int = 64, dropout: float = 0.2,
              **options: object) -> nn.Module:
        image_model = create_model(image_name, num_classes=num_classes, pretrained=pretrained, dropout=dropout,
                                   **options)
        return FusionClassifier(image_model, num_classes, encoding_units, dropout)


for _name in FUSABLE:
    _register_fusion(_name)
