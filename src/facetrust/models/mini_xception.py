"""fer's FER-2013 mini-Xception (Arriaga et al. 2017), rebuilt in PyTorch from the Keras hdf5 in the `fer` package.

The emotion baseline: 64x64 grey input, x/255 then (x-0.5)*2, seven FER-2013 classes. The weights are
read with h5py (no TensorFlow): Keras kernels are (kh, kw, in, out) and TensorFlow's "same" padding
of the stride-2 max-pools is asymmetric (bottom/right), which `_TfSamePool` reproduces.
"""

from __future__ import annotations

import json

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from facetrust.faces.weights import package_file
from facetrust.models.heads import squeeze_single
from facetrust.models.preprocess import Preprocess
from facetrust.models.registry import register_model

# The packaged weights' classes: FER-2013's angry, disgust, fear, happy, sad, surprise, neutral (the order of
# facetrust.emotion.labels.EMOTIONS, which sits above this layer).
FER2013_CLASSES = 7

KERAS_BN_EPS = 1e-3


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=KERAS_BN_EPS)


class _SeparableConv(nn.Module):
    """Keras SeparableConv2D: 3x3 depthwise then 1x1 pointwise, no bias."""

    def __init__(self, inputs: int, outputs: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(inputs, inputs, 3, padding=1, groups=inputs, bias=False)
        self.pointwise = nn.Conv2d(inputs, outputs, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class _TfSamePool(nn.Module):
    """3x3 stride-2 max-pool with TensorFlow "same" padding (the extra row/column goes bottom/right)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        pad_h, pad_w = max((-(-height // 2) - 1) * 2 + 3 - height, 0), max((-(-width // 2) - 1) * 2 + 3 - width, 0)
        x = F.pad(x, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2), value=float("-inf"))
        return F.max_pool2d(x, 3, 2)


class _StridedPointwise(nn.Conv2d):
    """1x1 convolution with stride 2, computed as subsample-then-convolve: the same numbers, and it avoids a
    PyTorch 2.14 CPU crash ("double free or corruption") in the backward pass of a strided 1x1 convolution
    on channels-last tensors (8 to 16 channels at 60x60 is enough to trigger it)."""

    def __init__(self, inputs: int, outputs: int) -> None:
        super().__init__(inputs, outputs, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x[:, :, ::2, ::2])


class _Block(nn.Module):
    """Two separable convolutions and a max-pool, plus a strided 1x1 shortcut."""

    def __init__(self, inputs: int, outputs: int) -> None:
        super().__init__()
        self.main = nn.Sequential(_SeparableConv(inputs, outputs), _bn(outputs), nn.ReLU(inplace=True),
                                  _SeparableConv(outputs, outputs), _bn(outputs), _TfSamePool())
        self.shortcut = nn.Sequential(_StridedPointwise(inputs, outputs), _bn(outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x) + self.shortcut(x)


class MiniXception(nn.Module):
    """Logits (B, num_classes) for (B, 1, 64, 64) grey faces."""

    def __init__(self, num_classes: int = FER2013_CLASSES, in_channels: int = 1) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, 8, 3, bias=False), _bn(8), nn.ReLU(inplace=True),
                                  nn.Conv2d(8, 8, 3, bias=False), _bn(8), nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(_Block(8, 16), _Block(16, 32), _Block(32, 64), _Block(64, 128))
        self.classifier = nn.Conv2d(128, num_classes, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.classifier(self.blocks(self.stem(x))).mean(dim=(2, 3))
        return squeeze_single(logits)


def load_fer_weights(model: MiniXception) -> MiniXception:
    """Copy fer's Keras weights into `model`, layer by layer in the hdf5's own order (checked by shape)."""
    import h5py

    path = package_file("fer", "data", "emotion_model.hdf5")
    with h5py.File(path, "r") as handle:
        layers = json.loads(handle.attrs["model_config"])["config"]["layers"]
        names = [layer["config"]["name"] for layer in layers
                 if layer["class_name"] in ("Conv2D", "SeparableConv2D", "BatchNormalization")]
        keras = [_arrays(handle["model_weights"][name]) for name in names]
    targets = _modules_in_keras_order(model)
    if len(targets) != len(keras):
        raise ValueError(f"{path}: {len(keras)} weighted layers, the PyTorch model has {len(targets)}")
    for name, values, module in zip(names, keras, targets, strict=True):
        try:
            _copy(module, values)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{path}: layer {name}: {exc}") from None
    return model


def _arrays(group) -> dict[str, np.ndarray]:
    """{"kernel": array, "gamma": array, ...} for one Keras layer's group."""
    found: dict[str, np.ndarray] = {}

    def keep(name: str, item: object) -> None:  # visititems stops at the first callback that returns a value
        if hasattr(item, "shape"):
            found[name.split("/")[-1].split(":")[0]] = np.asarray(item)

    group.visititems(keep)
    return found


def _modules_in_keras_order(model: MiniXception) -> list[nn.Module]:
    """The weighted modules in the order Keras lists its layers (per block: main path, then shortcut)."""
    order: list[nn.Module] = [model.stem[0], model.stem[1], model.stem[3], model.stem[4]]
    for block in model.blocks:
        main = block.main
        order += [main[0], main[1], main[3], main[4], block.shortcut[0], block.shortcut[1]]
    return [*order, model.classifier]


def _copy(module: nn.Module, values: dict[str, np.ndarray]) -> None:
    def put(parameter: torch.Tensor, array: np.ndarray) -> None:
        if tuple(parameter.shape) != array.shape:
            raise ValueError(f"shape {array.shape} does not fit {tuple(parameter.shape)}")
        parameter.data.copy_(torch.from_numpy(np.ascontiguousarray(array)))

    if isinstance(module, nn.BatchNorm2d):
        put(module.weight, values["gamma"])
        put(module.bias, values["beta"])
        put(module.running_mean, values["moving_mean"])
        put(module.running_var, values["moving_variance"])
    elif isinstance(module, _SeparableConv):
        put(module.depthwise.weight, values["depthwise_kernel"].transpose(2, 3, 0, 1))
        put(module.pointwise.weight, values["pointwise_kernel"].transpose(3, 2, 0, 1))
    else:
        put(module.weight, values["kernel"].transpose(3, 2, 0, 1))
        if module.bias is not None:
            put(module.bias, values["bias"])


@register_model("mini_xception", Preprocess(size=64, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), color="gray",
                                            interpolation="bilinear"),
                "fer's FER-2013 mini-Xception (emotion baseline); weights from the fer package")
def build_mini_xception(num_classes: int = FER2013_CLASSES, pretrained: bool = True, channels: int = 1,
                        **_: object) -> nn.Module:
    model = MiniXception(num_classes, channels)
    if pretrained:
        if num_classes != FER2013_CLASSES or channels != 1:
            raise ValueError("fer's mini-Xception weights are for 7 classes and grey input")
        load_fer_weights(model)
    return model
