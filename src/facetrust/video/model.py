"""A trained video model on disk: a card tied to one image model, and the temporal head's weights.

The head reads the image model's features, so the card records that model's weights sha256 and where it
was (relative to the video model's folder). Loading finds the image model by that path or, failing
that, the bundled detector if its weights match; a mismatch is an error, never a silent wrong score.
A calibrated mean of the frames (`facetrust.video.frame_judge`) has no head and no weights file: its
centre, temperature and band are in the card.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from facetrust.emotion.annotate import EmotionReader
from facetrust.errors import FacetrustError
from facetrust.models.card import CARD_FILE, VideoCard, read_card, write_card
from facetrust.models.checkpoint import WEIGHTS_FILE, LoadedModel, load_model, save_weights
from facetrust.models.inference import sigmoid
from facetrust.video.features import TrackSequence
from facetrust.video.frame_judge import FRAME_JUDGE, centred_logits
from facetrust.video.temporal import TemporalHead, pad_sequences


@dataclass
class VideoModel:
    """A temporal head (or none: the frame judge) and the image model whose per-frame outputs it reads."""

    head: TemporalHead | None  # None: the calibrated mean of the frames (FRAME_JUDGE)
    card: VideoCard
    image_model: LoadedModel
    emotion: EmotionReader | None = None  # when the frames' inputs include expression probabilities

    @property
    def with_emotion(self) -> bool:
        return "emotion" in self.card.frame_inputs

    @property
    def reads_features(self) -> bool:
        """Whether tracks are scored from frame features (a temporal head) or from frame P(fake) alone (the frame
        judge, which needs no feature pass)."""
        return self.head is not None

    def logits(self, sequences: list[TrackSequence]) -> np.ndarray:
        if not sequences:
            return np.zeros(0)
        if self.head is None:
            return self.judge_logits([sigmoid(t.logits, self.image_model.card.temperature) for t in sequences])
        return track_logits(self.head, sequences, self.with_emotion)

    def judge_logits(self, p_frames: list[np.ndarray]) -> np.ndarray:
        """The frame judge's logit per track from its frames' P(fake): logit of their mean, less its centre's."""
        return centred_logits(np.array([np.mean(p) for p in p_frames]), self.card.temporal_options["centre"])

    def p_fake(self, sequences: list[TrackSequence]) -> np.ndarray:
        """Calibrated P(fake) per track: sigmoid(logit / temperature)."""
        return sigmoid(self.logits(sequences), self.card.temperature)

    def judge_p_fake(self, p_frames: list[np.ndarray]) -> np.ndarray:
        """The frame judge's calibrated P(fake) per track straight from its frames' P(fake) (no feature pass)."""
        return sigmoid(self.judge_logits(p_frames), self.card.temperature)

    @property
    def info(self) -> dict:
        card = self.card
        return {"aggregation": card.temporal, "name": card.name, "version": card.version,
                "threshold": round(card.threshold, 4), "temperature": round(card.temperature, 4), "frames": card.frames}


def track_logits(head: TemporalHead, tracks: list[TrackSequence], with_emotion: bool) -> np.ndarray:
    """One logit per track from a temporal head, in eval mode without gradients."""
    batch, mask = pad_sequences([torch.from_numpy(t.inputs(with_emotion)) for t in tracks])
    head.eval()
    with torch.inference_mode():
        return head(batch, mask).numpy()


def head_from_card(card: VideoCard) -> TemporalHead:
    options = card.temporal_options
    return TemporalHead(options["in_features"], card.temporal, options["hidden"], options["dropout"])


def save_video_model(folder: str | Path, head: TemporalHead | None, card: dict, image_model: LoadedModel) -> Path:
    """Weights (if it has a head) and card; the card points at `image_model` by relative path and weights sha256."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if head is not None:
        save_weights(folder / WEIGHTS_FILE, head)
    reference = {"name": image_model.name, "version": image_model.version, "sha256": image_model.weights_sha256,
                 "path": os.path.relpath(image_model.folder, folder) if image_model.folder else None}
    write_card(folder, VideoCard.model_validate({**card, "task": "video", "image_model": reference}))
    return folder


def load_video_model(path: str | Path, image_model: LoadedModel | None = None,
                     loaded: LoadedModel | None = None) -> VideoModel:
    """Load a video model folder and the image model it reads: `image_model` if given (an error unless it is the
    one the card names), else `loaded` if it is that one (a model the caller holds already), else found from
    the card."""
    folder = Path(path)
    if not (folder / CARD_FILE).is_file():
        raise FacetrustError(f"{folder}: not a facetrust model (needs {CARD_FILE})")
    card = read_card(folder, VideoCard)
    has_head = card.temporal != FRAME_JUDGE
    if has_head and not (folder / WEIGHTS_FILE).is_file():
        raise FacetrustError(f"{folder}: a {card.temporal} video model needs its weights, {WEIGHTS_FILE}")
    reference = card.image_model
    if image_model is None and loaded is not None and loaded.weights_sha256 == reference["sha256"]:
        image_model = loaded
    image_model = image_model or _find_image_model(folder, reference)
    if image_model.weights_sha256 != reference["sha256"]:
        raise FacetrustError(f"{folder}: trained on the features of {reference['name']} "
                             f"{reference['version']}, not of {image_model.name} {image_model.version}")
    head = head_from_card(card) if has_head else None
    if head is not None:
        head.load_state_dict(load_file(str(folder / WEIGHTS_FILE)), strict=True)
        head.eval()
    emotion = (EmotionReader(None, image_model.card.faces.margin) if "emotion" in card.frame_inputs
               else None)
    return VideoModel(head, card, image_model, emotion)


def _find_image_model(folder: Path, reference: dict) -> LoadedModel:
    from facetrust.bundled import default_model_path

    candidates = [folder / reference["path"]] if reference.get("path") else []
    for candidate in [*candidates, default_model_path()]:
        if (candidate / CARD_FILE).is_file():  # a routed model has no weights file of its own
            model = load_model(candidate)
            if model.weights_sha256 == reference["sha256"]:
                return model
    raise FacetrustError(f"{folder}: cannot find its image model {reference['name']} {reference['version']} "
                         f"(looked in {', '.join(str(c) for c in candidates) or 'no path'} and the bundled detector)")
