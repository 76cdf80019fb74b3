"""Models by name (timm-style): `create_model("effnet_lite0", pretrained=True)`.

The modules that define models (PyTorch ones) register them when first asked for: loading a model whose graph
runs on onnxruntime never needs them."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from facetrust.models.preprocess import Preprocess

if TYPE_CHECKING:
    from torch import nn

# every module whose `register_model` decorators fill the registry
MODEL_MODULES = ("backbones", "ensemble", "fusion", "mini_xception", "simple", "two_branch")
# models whose logit is a sum of branch logits (`branch_logits`), so verdicts say what each added: named here, not
# read from their modules, so that a scan with any other model never imports PyTorch to ask
BRANCHED = frozenset({"mobilenet_v2_two_branch"})


@dataclass(frozen=True)
class ModelEntry:
    """How to build a model, the preprocessing its (pretrained) weights expect, and what it reads:
    ("image",), or ("image", "encoding") for models that also take the crop's dlib face encoding."""

    build: Callable[..., nn.Module]
    preprocess: Preprocess
    description: str
    inputs: tuple[str, ...] = ("image",)
    extends: str | None = None  # the registered model whose options this one passes on (fusion models)
    trainable: bool = True  # False for models assembled from trained ones (the expression ensemble)

    def options(self) -> set[str]:
        """Names of the options its builder understands (`model_options`, tuning grids): unknown ones would
        otherwise be ignored silently."""
        own = {name for name, parameter in inspect.signature(self.build).parameters.items()
               if parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL)}
        inherited = model_entry(self.extends).options() if self.extends else set()
        return (own | inherited) - {"num_classes", "pretrained"}

    @property
    def needs_encodings(self) -> bool:
        return "encoding" in self.inputs


_MODELS: dict[str, ModelEntry] = {}


def register_model(name: str, preprocess: Preprocess, description: str, inputs: tuple[str, ...] = ("image",),
                   extends: str | None = None, trainable: bool = True) -> Callable:
    """Decorator for a builder `fn(num_classes, pretrained, **options) -> nn.Module`."""

    def add(build: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        _MODELS[name] = ModelEntry(build, preprocess, description, inputs, extends, trainable)
        return build

    return add


def model_entry(name: str) -> ModelEntry:
    """The registry entry; a name that is not registered is treated as a timm architecture."""
    _register_all()
    if name in _MODELS:
        return _MODELS[name]
    import timm

    if timm.is_model(name):
        return ModelEntry(_timm_builder(name), Preprocess(), f"timm architecture {name}")
    raise ValueError(f"unknown model {name!r}; registered models: {', '.join(list_models())} "
                     "(or any timm architecture name, with --weights FILE)")


def create_model(name: str, num_classes: int = 1, pretrained: bool = True, **options: object) -> nn.Module:
    """Build a registered model; `num_classes=1` gives one logit for P(fake)."""
    return model_entry(name).build(num_classes=num_classes, pretrained=pretrained, **options)


def check_trainable(name: str, options: dict | set, epochs: int = 1) -> None:
    """Fail before any data is read when the model cannot be trained for `epochs` (0: only finished, as
    `emotion ensemble` does), or, naming the known ones, when `options` holds a name its builder does not take."""
    entry = model_entry(name)
    if epochs > 0 and not entry.trainable:
        raise ValueError(f"model {name!r} is not trained directly: {entry.description}")
    known = entry.options()
    unknown = set(options) - known
    if unknown:
        raise ValueError(f"model {name!r} has no option(s) {sorted(unknown)}; its options: {', '.join(sorted(known))}")


def list_models() -> list[str]:
    _register_all()
    return sorted(_MODELS)


def _register_all() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(f"facetrust.models.{module}")  # a no-op once imported


def _timm_builder(name: str) -> Callable[..., nn.Module]:
    def build(num_classes: int, pretrained: bool, weights: str | None = None, dropout: float = 0.2,
              **_: object) -> nn.Module:
        import timm

        from facetrust.models.heads import BackboneClassifier
        from facetrust.models.weights_io import load_state_dict

        backbone = timm.create_model(name, pretrained=False, num_classes=0)
        if weights:
            missing, _unexpected = backbone.load_state_dict(load_state_dict(weights), strict=False)
            if missing:
                raise ValueError(f"{weights}: weights do not fit {name}; missing keys such as {missing[:3]}")
        elif pretrained:
            raise ValueError(f"timm architecture {name!r} has no bundled weights: give --weights FILE "
                             "or train from scratch with pretrained=False")
        return BackboneClassifier(backbone, backbone.num_features, num_classes, dropout)

    return build
