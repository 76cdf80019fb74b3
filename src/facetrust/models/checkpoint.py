"""A trained model on disk: `model.safetensors` (weights) + `model.json` (the card). Never unpickled."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.torch import load_file, save_file
from torch import nn

from facetrust.errors import FacetrustError
from facetrust.faces import FaceFinder
from facetrust.models.inference import predict_logits, sigmoid
from facetrust.models.preprocess import Preprocess
from facetrust.models.registry import create_model

CARD_FORMAT = "facetrust-model/1"
WEIGHTS_FILE = "model.safetensors"
CARD_FILE = "model.json"


@dataclass
class LoadedModel:
    """A model in eval mode with everything needed to use it as it was trained."""

    module: nn.Module
    card: dict

    @property
    def preprocess(self) -> Preprocess:
        return Preprocess.from_dict(self.card["preprocess"])

    def face_finder(self, all_faces: bool, detector: str | None = None) -> FaceFinder:
        """A face finder that crops as this model's training crops were made (detector overridable)."""
        faces = self.card["faces"]
        return FaceFinder(detector or faces["detector"], mode=faces["mode"], size=faces["size"],
                          margin=faces["margin"], all_faces=all_faces)

    @property
    def flip_tta(self) -> bool:
        return self.card.get("tta") == "flip"

    def logits(self, crops: list) -> np.ndarray:
        """Logits for face crops exactly as the card prescribes (preprocessing, test-time augmentation)."""
        return predict_logits(self.module, self.preprocess, crops, flip_tta=self.flip_tta)

    def p_fake(self, crops: list) -> np.ndarray:
        """Calibrated P(fake) for face crops: sigmoid(logit / temperature)."""
        return sigmoid(self.logits(crops), self.card["temperature"])

    @property
    def name(self) -> str:
        return self.card["name"]

    @property
    def version(self) -> str:
        return self.card["version"]


def save_model(folder: str | Path, module: nn.Module, card: dict) -> Path:
    """Write weights and card into `folder` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in module.state_dict().items()}
    save_file(state, str(folder / WEIGHTS_FILE))
    (folder / CARD_FILE).write_text(json.dumps({"format": CARD_FORMAT, **card}, indent=2), encoding="utf-8")
    return folder


def load_model(path: str | Path) -> LoadedModel:
    """Load a model folder (or its .safetensors / .json file): architecture and options from the card."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    card_path, weights_path = folder / CARD_FILE, folder / WEIGHTS_FILE
    if not card_path.is_file() or not weights_path.is_file():
        raise FacetrustError(f"{path}: not a facetrust model (needs {CARD_FILE} and {WEIGHTS_FILE})")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    if card.get("format") != CARD_FORMAT:
        raise FacetrustError(f"{card_path}: unknown card format {card.get('format')!r}")
    module = create_model(card["architecture"], num_classes=len(card["classes"]) if len(card["classes"]) > 2 else 1,
                          pretrained=False, **card.get("architecture_options", {}))
    module.load_state_dict(load_file(str(weights_path)), strict=True)
    return LoadedModel(module.eval(), card)
