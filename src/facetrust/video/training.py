"""Training temporal video models with identity-disjoint cross-validation.

Protocol: the main face track of every video is read once (image model features, cached); videos are
dealt into folds so that no person appears in two folds; every temporal model asked for is trained on
all folds but one and scores the held-out fold. Its out-of-fold scores are compared, in the same run,
with the image model's plain mean and max of per-frame P(fake). Hyper-parameters are fixed before the
run and accuracy uses a fixed threshold (0.5 for the temporal models, trained class-balanced; the image
model's own threshold for the frame aggregates), so no held-out fold chooses anything. The shipped
model is then trained on every video; its threshold and temperature come from the out-of-fold scores.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

import facetrust
from facetrust.bundled import default_model_path
from facetrust.errors import FacetrustError
from facetrust.evaluation import fit_temperature
from facetrust.evaluation.metrics import choose_threshold
from facetrust.models.checkpoint import LoadedModel, load_model
from facetrust.models.inference import sigmoid
from facetrust.training.loop import Optimisation, run_epochs
from facetrust.video.features import MainTrackCache, TrackSequence
from facetrust.video.identities import VideoSample, discover_videos, identity_folds
from facetrust.video.model import save_video_model, track_logits
from facetrust.video.report import aggregate_scores, aggregate_thresholds, video_report, write_report
from facetrust.video.temporal import TEMPORAL_KINDS, TemporalHead, pad_sequences


@dataclass
class VideoTrainConfig:
    """Everything that defines a video training run (saved as config.json in the output folder)."""

    data: str
    out: str
    temporal: tuple[str, ...] = ("gru",)  # every kind is cross-validated; the first is the one saved
    image_model: str | None = None  # default: the bundled detector
    frames: int = 32
    folds: int = 5
    epochs: int = 60
    lr: float = 3e-3
    weight_decay: float = 1e-2
    hidden: int = 64
    dropout: float = 0.5
    emotion: bool = False  # add the expression model's probabilities to each frame's inputs
    seed: int = 0


@dataclass
class VideoSet:
    """The videos that have a face track, their tracks and sha256s, and the videos left out with the reason."""

    samples: list[VideoSample]
    tracks: list[TrackSequence]
    digests: list[str]
    skipped: dict[str, str]

    @property
    def labels(self) -> np.ndarray:
        return np.array([s.label for s in self.samples])


def read_main_tracks(samples: list[VideoSample], model: LoadedModel, frames: int, progress: bool = True) -> VideoSet:
    """The main track of each video (cached); videos without one are listed, not fatal."""
    cache = MainTrackCache(model, frames)
    kept, tracks, digests, skipped = [], [], [], {}
    for sample in tqdm(samples, desc="face tracks", unit="video", disable=not progress):
        digest, outcome = cache.get(sample.path)
        if isinstance(outcome, str):
            skipped[str(sample.path)] = outcome
        else:
            kept.append(sample)
            tracks.append(outcome)
            digests.append(digest)
    return VideoSet(kept, tracks, digests, skipped)


@contextmanager
def one_thread() -> Iterator[None]:
    """Tiny recurrent models run fastest on one thread: with two busy cores, PyTorch's second thread made
    cross-validation 5-10x slower (spin-waiting), and alone it gains nothing at this size."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@one_thread()
def fit_head(tracks: list[TrackSequence], labels: np.ndarray, kind: str, config: VideoTrainConfig) -> TemporalHead:
    """Full-batch AdamW for a fixed number of epochs, class-balanced BCE, random sub-clips as augmentation."""
    generator = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)
    inputs = [torch.from_numpy(t.inputs(config.emotion)) for t in tracks]
    head = TemporalHead(inputs[0].shape[1], kind, config.hidden, config.dropout)
    head.set_normalisation(torch.cat(inputs))
    target = torch.tensor(labels, dtype=torch.float32)
    n_fake = float(target.sum())
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor((len(target) - n_fake) / max(n_fake, 1.0)))
    optimiser = torch.optim.AdamW(head.parameters(), lr=config.lr, weight_decay=config.weight_decay)

    def train_epoch(_epoch: int) -> float:
        batch, mask = pad_sequences([_sub_clip(x, generator) for x in inputs])
        optimiser.zero_grad()
        loss = loss_fn(head(batch, mask), target)
        loss.backward()
        optimiser.step()
        return loss.item()

    head.train()
    run_epochs(None, Optimisation(head, optimiser), config.epochs, config.epochs, train_epoch, progress=False)
    return head.eval()


def _sub_clip(sequence: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A random contiguous stretch covering at least half of the sequence."""
    length = len(sequence)
    keep = int(torch.randint(max(1, length // 2), length + 1, (1,), generator=generator))
    start = int(torch.randint(0, length - keep + 1, (1,), generator=generator))
    return sequence[start:start + keep]


def out_of_fold_logits(data: VideoSet, folds: list[int], kind: str, config: VideoTrainConfig) -> np.ndarray:
    logits = np.zeros(len(data.tracks))
    for fold in sorted(set(folds)):
        held = np.array(folds) == fold
        train_tracks = [t for t, h in zip(data.tracks, held, strict=True) if not h]
        head = fit_head(train_tracks, data.labels[~held], kind, config)
        logits[held] = track_logits(head, [t for t, h in zip(data.tracks, held, strict=True) if h], config.emotion)
    return logits


def train_video(config: VideoTrainConfig, progress: bool = True) -> Path:
    """Cross-validate the temporal models, write the report, save the first one trained on every video."""
    for kind in config.temporal:
        if kind not in TEMPORAL_KINDS:
            raise FacetrustError(f"unknown temporal model {kind!r}; choose from {', '.join(TEMPORAL_KINDS)}")
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(asdict(config), indent=2), encoding="utf-8")
    image_model = load_model(config.image_model or default_model_path(), backend="torch")
    started = time.perf_counter()
    data = read_main_tracks(discover_videos(config.data), image_model, config.frames, progress)
    if len(set(data.labels.tolist())) < 2:
        raise FacetrustError(f"{config.data}: need real and fake videos with faces to train a video model")
    folds = identity_folds(data.samples, config.folds)
    image_p = [sigmoid(t.logits, image_model.card.temperature) for t in data.tracks]
    scores = aggregate_scores(image_p, data.tracks)
    thresholds = aggregate_thresholds(scores, image_model.card.threshold)
    oof = {}
    for kind in tqdm(config.temporal, desc="cross-validation", unit="model", disable=not progress):
        oof[kind] = out_of_fold_logits(data, folds, kind, config)
        scores[kind] = sigmoid(oof[kind])
        thresholds[kind] = 0.5
    report = video_report(data.samples, scores, thresholds, image_p, image_model.card.threshold)
    report |= {"folds": config.folds, "fold_of": {s.path.name: f for s, f in zip(data.samples, folds, strict=True)},
               "skipped": data.skipped, "frames": config.frames,
               "feature_seconds": round(time.perf_counter() - started, 1)}
    write_report(out, report, data.labels, scores)

    chosen = config.temporal[0]
    temperature = fit_temperature(oof[chosen], data.labels)
    threshold = choose_threshold(data.labels, sigmoid(oof[chosen], temperature))
    head = fit_head(data.tracks, data.labels, chosen, config)
    card = {
        "name": f"facetrust-video-{chosen}-{Path(config.data).name}",
        "version": datetime.now(UTC).strftime("%Y%m%d-%H%M%S"),
        "temporal": chosen,
        "temporal_options": {"in_features": int(head.feature_mean.shape[0]), "hidden": config.hidden,
                             "dropout": config.dropout},
        "frame_inputs": ["features", "logit", *(["emotion"] if config.emotion else [])],
        "frames": config.frames, "threshold": threshold, "temperature": temperature,
        "threshold_rule": "best balanced accuracy on the out-of-fold scores of the cross-validation",
        "training": {**asdict(config), "videos": len(data.samples), "skipped": len(data.skipped)},
        "videos_sha256": sorted(data.digests),
        "cross_validation": report["aggregations"],
        "code_version": facetrust.__version__,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return save_video_model(out / "model", head, card, image_model)

