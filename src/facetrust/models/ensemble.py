"""An ensemble of trained models of one task as one model: one input, one card, one ONNX graph.

Members differ in input size, colour and normalisation (fer's mini-Xception reads 64 px grey, a
fine-tuned MobileNetV2 96 px RGB; a detector's EfficientNet-Lite0 normalises with 0.5, its MobileNetV2
with ImageNet's statistics). The ensemble reads RGB in [0, 1] at the largest member size and gives each
member its own resize, colour and normalisation inside the graph, then averages with equal weights the
members' calibrated outputs: log-probabilities for expression models, the logit of P(fake) divided by
the member's temperature for detectors. Nothing is fitted, so the selection split stays a fair judge of
whether the ensemble beats its members.
Because it is an ordinary module, everything that handles one model (safetensors, cards, ONNX
export, `scan --emotion`, `emotion evaluate`) handles an ensemble.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from facetrust.errors import FacetrustError
from facetrust.models.card import CARD_FILE, ROUTED, ModelCard, read_card
from facetrust.models.heads import BackboneClassifier
from facetrust.models.preprocess import Preprocess
from facetrust.models.registry import create_model, register_model
from facetrust.models.weights_io import load_state_dict

GRAY = (0.299, 0.587, 0.114)  # the weights Preprocess uses for grey models


def member_spec(folder: str | Path) -> dict:
    """What the ensemble needs to rebuild a trained model without its folder: architecture, options,
    preprocessing and temperature, read from the model's card."""
    if not (Path(folder) / CARD_FILE).is_file():
        raise FacetrustError(f"{folder}: not a facetrust model folder (no {CARD_FILE})")
    card = read_card(Path(folder), ModelCard)
    if card.architecture in ("ensemble", ROUTED):
        raise FacetrustError(f"{folder}: ensemble members must be single models, not ensembles or routed models")
    return {"name": card.name, "task": card.task, "architecture": card.architecture,
            "options": card.architecture_options, "preprocess": card.preprocess.to_dict(),
            "temperature": card.temperature, "classes": card.classes}


TASK_MODELS = {"emotion": "expression models", "detector": "detectors"}


def check_members(members: list[dict], task: str | None = None) -> None:
    """Fail before anything is written when the members cannot form an ensemble (of `task`, when given)."""
    if len(members) < 2:
        raise FacetrustError("an ensemble needs at least two member models")
    tasks = {m.get("task", "emotion") for m in members}
    if len(tasks) != 1:
        raise FacetrustError("ensemble members must be models of one task (all expression models or all detectors)")
    if task is not None and tasks != {task}:
        raise FacetrustError(f"this ensemble needs {TASK_MODELS[task]}: {members[0]['name']} is not one")
    if len({tuple(m["classes"]) for m in members}) != 1:
        raise FacetrustError("ensemble members must predict the same classes in the same order")


class _Member(nn.Module):
    """One member behind its own preprocessing: RGB [0, 1] at any size in, calibrated output out
    (log-probabilities, or with one output the logit of P(fake) over the temperature)."""

    def __init__(self, spec: dict, num_classes: int) -> None:
        super().__init__()
        preprocess = Preprocess.from_dict(spec["preprocess"])
        self.size, self.gray = preprocess.size, preprocess.color == "gray"
        if preprocess.color not in ("rgb", "gray"):
            raise FacetrustError(f"{spec['name']}: colour mode {preprocess.color!r} is not supported in an ensemble")
        mean = [sum(preprocess.mean) / 3] if self.gray else list(preprocess.mean)
        std = [sum(preprocess.std) / 3] if self.gray else list(preprocess.std)
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1), persistent=False)
        self.temperature = float(spec["temperature"])
        self.model = create_model(spec["architecture"], num_classes=num_classes, pretrained=False, **spec["options"])

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """RGB [0, 1] at the ensemble's size as this member reads it."""
        if x.shape[-1] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        if self.gray:
            x = (x * torch.tensor(GRAY, dtype=x.dtype).view(1, 3, 1, 1)).sum(dim=1, keepdim=True)
        return (x - self.mean) / self.std

    def calibrated(self, logits: torch.Tensor) -> torch.Tensor:
        logits = logits / self.temperature
        return logits if logits.ndim == 1 else F.log_softmax(logits, dim=1)  # a detector gives one logit a face

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.calibrated(self.model(self.prepare(x)))


class Ensemble(nn.Module):
    """Mean of the members' calibrated outputs (the ensemble's logits).

    When every member is a backbone with a linear head, the ensemble also has penultimate features (the
    members' side by side) and a `classify` of them, like a single backbone model: video tracks and the
    report's embedding map read those, and test-time views can be averaged in feature space."""

    def __init__(self, members: list[dict], num_classes: int) -> None:
        super().__init__()
        check_members(members)
        self.members = nn.ModuleList(_Member(m, num_classes) for m in members)

    @property
    def has_features(self) -> bool:
        return all(isinstance(member.model, BackboneClassifier) for member in self.members)

    @property
    def num_features(self) -> int:
        return sum(member.model.num_features for member in self.members)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([member.model.features(member.prepare(x)) for member in self.members], dim=1)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        """The ensemble's output for features from `features` (possibly averaged over views)."""
        parts = features.split([member.model.num_features for member in self.members], dim=1)
        return torch.stack([member.calibrated(member.model.classify(part))
                            for member, part in zip(self.members, parts, strict=True)]).mean(dim=0)

    def logits_and_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.features(x)
        return self.classify(features), features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([member(x) for member in self.members]).mean(dim=0)


@register_model("ensemble", Preprocess(size=96, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), interpolation="bilinear"),
                "equal-weight ensemble of trained models of one task (`facetrust emotion ensemble`, "
                "scripts/pair_detectors.py)", trainable=False)
def build_ensemble(num_classes: int, pretrained: bool, members: list[dict] | None = None,
                   weights: list[str] | None = None, **_: object) -> nn.Module:
    """`members` are `member_spec` dicts (kept in the card); with `pretrained`, `weights` are the member
    folders whose trained weights are loaded (a saved ensemble loads its own safetensors instead)."""
    if not members:
        raise FacetrustError("the ensemble is not trained: build it from trained models, e.g. "
                             "`facetrust emotion ensemble --model RUN_A --model RUN_B`")
    model = Ensemble(members, num_classes)
    if pretrained:
        if not weights or len(weights) != len(members):
            raise FacetrustError("give one trained model folder per ensemble member")
        for member, folder in zip(model.members, weights, strict=True):
            member.model.load_state_dict(load_state_dict(Path(folder) / "model.safetensors"), strict=True)
    return model
