"""Temporal heads: one score for a face track from its per-frame image features.

Every head standardises the frame features (statistics of the training frames, kept as buffers so they
travel in the weights), projects them to a small width, then pools over time in its own way:
`mean` (average), `attention` (learned weights per frame), `gru` / `lstm` (bidirectional recurrent
layer, outputs averaged over the valid frames), `difference` (the average of how much each standardised feature
changes between successive frames: temporal inconsistency, what a reenactment or a frame-by-frame swap may leave
where each frame alone looks right). Sequences are padded; `mask` marks the real frames.
"""

from __future__ import annotations

import torch
from torch import nn

from facetrust.video import TEMPORAL_KINDS


class TemporalHead(nn.Module):
    """(B, T, D) frame features + (B, T) mask → (B,) logits."""

    def __init__(self, in_features: int, kind: str = "gru", hidden: int = 64, dropout: float = 0.5) -> None:
        super().__init__()
        if kind not in TEMPORAL_KINDS:
            raise ValueError(f"unknown temporal model {kind!r}; choose one of {', '.join(TEMPORAL_KINDS)}")
        self.kind = kind
        self.register_buffer("feature_mean", torch.zeros(in_features))
        self.register_buffer("feature_std", torch.ones(in_features))
        self.project = nn.Sequential(nn.Dropout(dropout / 2), nn.Linear(in_features, hidden), nn.ReLU(),
                                     nn.Dropout(dropout))
        if kind == "gru":
            self.recurrent: nn.Module | None = nn.GRU(hidden, hidden // 2, batch_first=True, bidirectional=True)
        elif kind == "lstm":
            self.recurrent = nn.LSTM(hidden, hidden // 2, batch_first=True, bidirectional=True)
        else:
            self.recurrent = None
        self.attention = nn.Linear(hidden, 1) if kind == "attention" else None
        self.out = nn.Linear(hidden, 1)

    def set_normalisation(self, frames: torch.Tensor) -> None:
        """Standardise with the mean and std of these (N, D) training frames."""
        self.feature_mean.copy_(frames.mean(0))
        self.feature_std.copy_(frames.std(0).clamp_min(1e-4))

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = (features - self.feature_mean) / self.feature_std
        if self.kind == "difference":  # a one-frame track has no change: its pooled input is zero
            x, mask = (x[:, 1:] - x[:, :-1]).abs(), mask[:, 1:] & mask[:, :-1]
        x = self.project(x)
        weights = mask.float().unsqueeze(-1)
        if self.recurrent is not None:  # packed, so padding never enters the backward direction
            lengths = mask.sum(1).clamp_min(1).cpu()
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            x, _ = nn.utils.rnn.pad_packed_sequence(self.recurrent(packed)[0], batch_first=True,
                                                    total_length=mask.shape[1])
        if self.attention is not None:
            scores = self.attention(x).masked_fill(weights == 0, float("-inf"))
            weights = torch.softmax(scores, dim=1)
        pooled = (x * weights).sum(1) / weights.sum(1).clamp_min(1e-6)
        return self.out(pooled).squeeze(1)


def pad_sequences(sequences: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T_max, D) zero-padded batch and its (B, T_max) mask from (T_i, D) sequences."""
    longest = max(len(s) for s in sequences)
    batch = torch.zeros(len(sequences), longest, sequences[0].shape[1])
    mask = torch.zeros(len(sequences), longest, dtype=torch.bool)
    for row, sequence in enumerate(sequences):
        batch[row, :len(sequence)] = sequence
        mask[row, :len(sequence)] = True
    return batch, mask
