"""A trained model on disk: `model.safetensors` (weights) + `model.json` (the card). Never unpickled.

Weights larger than `MAX_WEIGHTS_FILE` are written as shards with an index instead (huggingface_hub's layout,
`model-00001-of-00002.safetensors` ... and `model.safetensors.index.json`): the repository holds no file over 30 MB,
and a bundled ensemble of three networks is larger than that. Readers take either layout.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from facetrust.atomic import atomic_write
from facetrust.cache import cache_root
from facetrust.embeddings import encode_crops
from facetrust.errors import FacetrustError
from facetrust.faces import CropMode, FaceFinder
from facetrust.models.card import CARD_FILE, ROUTED, ModelCard, read_card, write_card
from facetrust.models.inference import channels_last, predict_features, predict_logits, sigmoid
from facetrust.models.onnx_runner import OnnxRunner, checked_runner
from facetrust.models.preprocess import Preprocess
from facetrust.onnx_graphs import onnxruntime_available

if TYPE_CHECKING:  # PyTorch loads only where a PyTorch model is built, trained or saved: scans on onnxruntime never
    import torch
    from torch import nn

WEIGHTS_FILE = "model.safetensors"
SHARD_INDEX = "model.safetensors.index.json"
SHARDS = "model-*-of-*.safetensors"
MAX_WEIGHTS_FILE = 25_000_000  # bytes; the repository's limit for one file is 30 MB


Backend = Literal["auto", "onnxruntime", "torch"]


@dataclass
class LoadedModel:
    """A model in eval mode with everything needed to use it as it was trained.

    `module` is the PyTorch model (training, gradients, explanations); `runner`, when set, computes the
    same logits faster (onnxruntime) and is what `logits` and `p_fake` use. A model loaded with a runner whose
    graph was checked before builds `module` from `folder` only when something needs it: image scans never do,
    which spares them torchvision's import and the model's memory.
    """

    built: nn.Module | None
    card: ModelCard
    runner: OnnxRunner | None = None
    folder: Path | None = None
    weights_sha256: str = ""  # of model.safetensors: what a temporal video model's card is tied to

    @property
    def module(self) -> nn.Module:
        if self.built is None:
            weights = read_weights(self.folder)
            if weights_digest(weights) != self.weights_sha256:  # e.g. a training run overwrote them
                raise FacetrustError(f"{self.folder}: the weights changed since the model was loaded; load it again")
            self.built = channels_last(build_module(self.card, weights))
        return self.built

    @property
    def backend(self) -> str:
        return "torch" if self.runner is None else "onnxruntime"

    @property
    def preprocess(self) -> Preprocess:
        return self.card.preprocess

    def face_finder(self, all_faces: bool, detector: str | None = None, mode: CropMode | None = None) -> FaceFinder:
        """A face finder that crops as this model's training crops were made (detector and mode overridable:
        mode "whole" skips detection for inputs that are face crops already)."""
        return self.card.faces.finder(all_faces, detector, mode)

    @property
    def tta(self) -> str | None:
        """The test-time augmentation the card prescribes (`facetrust.models.inference.TTA_MODES`) or None."""
        return self.card.tta

    @property
    def needs_encodings(self) -> bool:
        return self.card.reads_encodings

    def logits(self, crops: list, encodings: np.ndarray | None = None) -> np.ndarray:
        """Logits for face crops exactly as the card prescribes (preprocessing, test-time augmentation).

        Models that read face encodings compute them from the crops unless `encodings` are given.
        """
        if self.needs_encodings and encodings is None:
            encodings = encode_crops(crops, cached=False)
        return predict_logits(self.runner or self.module, self.preprocess, crops, tta=self.tta,
                              encodings=encodings if self.needs_encodings else None)

    def p_fake(self, crops: list, encodings: np.ndarray | None = None) -> np.ndarray:
        """Calibrated P(fake) for face crops: sigmoid(logit / temperature)."""
        return sigmoid(self.logits(crops, encodings), self.card.temperature)

    def features(self, crops: list) -> tuple[np.ndarray, np.ndarray]:
        """Per-crop penultimate features and logits (temporal video models, the report's embedding map), on
        onnxruntime when the runner's graph exports them."""
        from facetrust.models.onnx_backend import exports_features

        if not (getattr(self.runner, "has_features", False) or exports_features(self.module)):
            raise FacetrustError(f"{self.card.architecture}: no image-only feature extractor")
        extractor = self.runner if getattr(self.runner, "has_features", False) else self.module
        return predict_features(extractor, self.module, self.preprocess, crops, tta=self.tta)

    @property
    def has_branches(self) -> bool:
        """Whether the model says how much each kind of evidence added to a logit (`evidence`)."""
        from facetrust.models.registry import BRANCHED

        return self.card.architecture in BRANCHED

    def evidence(self, features: np.ndarray) -> list[dict[str, float]]:
        """Per crop, each branch's share of the calibrated logit of these `features` (from `features`)."""
        import torch

        with torch.inference_mode():
            shares = self.module.branch_logits(torch.from_numpy(features))
        scaled = {name: share.float().numpy() / self.card.temperature for name, share in shares.items()}
        return [{name: float(values[row]) for name, values in scaled.items()} for row in range(len(features))]

    def face_evidence(self, crops: list, features: np.ndarray | None, p_fake: np.ndarray) -> list[dict | None]:
        """Per face, which kinds of evidence made its calibrated logit and how much each added (None for models of
        one kind): a two-branch model's shares of these `features`; a routed model overrides it."""
        return self.evidence(features) if self.has_branches else [None] * len(crops)

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def version(self) -> str:
        return self.card.version


def save_model(folder: str | Path, module: nn.Module, card: ModelCard) -> Path:
    """Write weights and card into `folder` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _save_model_weights(folder, module)
    write_card(folder, card)
    return folder


def _save_model_weights(folder: Path, module: nn.Module) -> None:
    """One `model.safetensors`, or shards of at most MAX_WEIGHTS_FILE bytes with their index; the other layout's
    files left from an earlier model in the folder are removed, so a reader never mixes two models."""
    from huggingface_hub import save_torch_state_dict

    sharded = sum(t.numel() * t.element_size() for t in module.state_dict().values()) > MAX_WEIGHTS_FILE
    stale = [folder / WEIGHTS_FILE] if sharded else [folder / SHARD_INDEX, *folder.glob(SHARDS)]
    if sharded:
        state = {k: v.detach().contiguous() for k, v in module.state_dict().items()}
        save_torch_state_dict(state, folder, max_shard_size=MAX_WEIGHTS_FILE)
    else:
        save_weights(folder / WEIGHTS_FILE, module)
    for path in stale:
        path.unlink(missing_ok=True)


def weight_files(folder: Path) -> list[Path]:
    """The files holding a model folder's weights: `model.safetensors`, or the shards its index names; none if
    neither is there."""
    if (folder / WEIGHTS_FILE).is_file():
        return [folder / WEIGHTS_FILE]
    if not (folder / SHARD_INDEX).is_file():
        return []
    names = json.loads((folder / SHARD_INDEX).read_text())["weight_map"].values()
    shards = [folder / name for name in sorted(set(names))]
    missing = [shard.name for shard in shards if not shard.is_file()]
    if missing:
        raise FacetrustError(f"{folder}: {SHARD_INDEX} names weights files that are not there: {', '.join(missing)}")
    return shards


def model_files(folder: Path) -> list[Path]:
    """Every file a model folder needs: its card, its weights and, for shards, their index (to copy a model whole)."""
    weights = weight_files(folder)
    index = [folder / SHARD_INDEX] if weights and weights[0].name != WEIGHTS_FILE else []
    return [folder / CARD_FILE, *weights, *index]


def read_weights(folder: Path) -> list[bytes]:
    """The bytes of every weights file of a model folder, in order (read once: hashed, and loaded if built)."""
    return [path.read_bytes() for path in weight_files(folder)]


def weights_digest(weights: list[bytes]) -> str:
    """sha256 of the weights files one after another: of one `model.safetensors`, its own sha256."""
    digest = hashlib.sha256()
    for part in weights:
        digest.update(part)
    return digest.hexdigest()


def save_weights(path: Path, module: nn.Module) -> None:
    """Write a module's weights as safetensors through a temporary file: a run killed while it writes keeps
    the previous complete file (say, the best epoch so far) instead of a truncated one."""
    from safetensors.torch import save_file

    with atomic_write(path) as partial:
        save_file({k: v.detach().contiguous() for k, v in module.state_dict().items()}, str(partial))


def load_model(path: str | Path, backend: Backend = "auto") -> LoadedModel:
    """Load a model folder (or its .safetensors / .json file): architecture and options from the card.

    backend "auto" runs inference on onnxruntime when it is installed and the export matches PyTorch,
    else on PyTorch; "onnxruntime" insists (error if impossible); "torch" never exports.
    """
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    card_path = folder / CARD_FILE
    missing = FacetrustError(f"{path}: not a facetrust model (needs {CARD_FILE} and {WEIGHTS_FILE} or its shards)")
    if not card_path.is_file():
        raise missing
    card = read_card(folder, ModelCard)
    if card.architecture == ROUTED:  # two detectors in subfolders, no weights of its own
        from facetrust.models.routed import load_routed  # a routed model is made of loaded models: an import cycle

        return load_routed(folder, card, lambda branch: load_model(branch, backend))
    weights = read_weights(folder)  # read once: hashed to key the ONNX export, loaded if the model is built
    if not weights:
        raise missing
    loaded = LoadedModel(None, card, folder=folder, weights_sha256=weights_digest(weights))
    if backend == "onnxruntime" or (backend == "auto" and onnxruntime_available()):
        preprocess, digest = loaded.preprocess, loaded.weights_sha256[:20]
        shape = (preprocess.channels, preprocess.size)
        loaded.runner = checked_runner(digest, *shape, cache_root(), loaded.needs_encodings)
        if loaded.runner is None:
            from facetrust.models.onnx_backend import cached_onnx_runner

            module = build_module(card, weights)  # exported in the plain layout, channels-last afterwards
            loaded.runner = cached_onnx_runner(module, digest, *shape, cache_root(), loaded.needs_encodings)
            loaded.built = channels_last(module)
        if loaded.runner is None and backend == "onnxruntime":
            raise FacetrustError(f"{path}: cannot run on onnxruntime (is it installed? see the log for the reason)")
    if loaded.runner is None:
        loaded.built = channels_last(build_module(card, weights))
    return loaded


def build_module(card: ModelCard, weights: list[bytes]) -> nn.Module:
    """The card's architecture with these safetensors weights (one file's bytes, or each shard's), in eval mode."""
    from facetrust.models.registry import create_model

    module = create_model(card.architecture, num_classes=len(card.classes) if len(card.classes) > 2 else 1,
                          pretrained=False, **card.architecture_options)
    module.load_state_dict(state_of(weights), strict=True)
    return module.eval()


def state_of(weights: list[bytes]) -> dict[str, torch.Tensor]:
    """One state dict of the tensors in these safetensors files (a model's file, or its shards)."""
    from safetensors.torch import load

    return {key: tensor for part in weights for key, tensor in load(part).items()}
