import numpy as np
import pytest
import torch

from facetrust.evaluation.metrics import binary_metrics
from facetrust.video.features import TrackSequence
from facetrust.video.model import track_logits
from facetrust.video.temporal import TEMPORAL_KINDS, TemporalHead, pad_sequences
from facetrust.video.training import VideoTrainConfig, fit_head


@pytest.mark.parametrize("kind", TEMPORAL_KINDS)
def test_padding_does_not_change_a_tracks_score(kind):
    torch.manual_seed(0)
    head = TemporalHead(6, kind, hidden=8).eval()
    short, long = torch.randn(3, 6), torch.randn(7, 6)
    batch, mask = pad_sequences([short, long])
    alone, _ = pad_sequences([short])
    with torch.inference_mode():
        together = head(batch, mask)
        by_itself = head(alone, torch.ones(1, 3, dtype=torch.bool))
    assert mask.sum(1).tolist() == [3, 7]
    assert torch.allclose(together[0], by_itself[0], atol=1e-5)


def synthetic_tracks(count: int, seed: int) -> tuple[list[TrackSequence], np.ndarray]:
    """Fake tracks carry a weak offset in a few feature dimensions on every frame, hidden in noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 2
    tracks = []
    for label in labels:
        length = int(rng.integers(4, 12))
        features = rng.normal(size=(length, 16)).astype(np.float32)
        features[:, :3] += 0.8 * label
        tracks.append(TrackSequence(1, np.arange(length, dtype=float), np.arange(length), np.zeros((length, 4)),
                                    features, rng.normal(size=length).astype(np.float32)))
    return tracks, labels


@pytest.mark.parametrize("kind", ["gru", "mean"])
def test_a_temporal_head_learns_a_signal_spread_over_frames(kind):
    train_tracks, train_labels = synthetic_tracks(40, 0)
    test_tracks, test_labels = synthetic_tracks(40, 1)
    config = VideoTrainConfig(data="", out="", epochs=80, hidden=16)
    head = fit_head(train_tracks, train_labels, kind, config)
    scores = track_logits(head, test_tracks, with_emotion=False)
    assert binary_metrics(test_labels, scores, 0.0)["roc_auc"] > 0.9


def flickering_tracks(count: int, seed: int) -> tuple[list[TrackSequence], np.ndarray]:
    """Every frame drawn from one distribution for both classes; a real track holds its features from frame to frame,
    a fake's jump: only the change between frames tells them apart."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 2
    tracks = []
    for label in labels:
        length = int(rng.integers(4, 12))
        steady = np.repeat(rng.normal(size=(1, 16)), length, axis=0) + 0.1 * rng.normal(size=(length, 16))
        features = (rng.normal(size=(length, 16)) if label else steady).astype(np.float32)
        tracks.append(TrackSequence(1, np.arange(length, dtype=float), np.arange(length), np.zeros((length, 4)),
                                    features, np.zeros(length, np.float32)))
    return tracks, labels


def test_the_difference_head_reads_change_between_frames():
    train_tracks, train_labels = flickering_tracks(40, 0)
    test_tracks, test_labels = flickering_tracks(40, 1)
    config = VideoTrainConfig(data="", out="", epochs=80, hidden=16)
    head = fit_head(train_tracks, train_labels, "difference", config)
    scores = track_logits(head, test_tracks, with_emotion=False)
    assert binary_metrics(test_labels, scores, 0.0)["roc_auc"] > 0.9
