"""A video judge with no learned head: the mean of a track's frame P(fake), centred on a threshold and calibrated
by a temperature, with an uncertain band wide enough to leave a set share of clips decided.

A temporal head trained on 60 clips memorises them; the mean of the frames of a frame model trained on other
clips does not (docs/VIDEO.md, "A judge over out-of-fold frame scores"). Its three numbers are fitted on
out-of-fold clip scores: `fit_frame_judge` serves both the nested per-fold check and the bundled model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit

from facetrust.evaluation.calibration import fit_temperature, temperature_at_bound

FRAME_JUDGE = "calibrated_mean_of_frames"  # the video card's `temporal` for this judge
P_CLIP = 1e-6  # clip means are kept this far from 0 and 1 before their logit
# The forgetting guard (docs/VIDEO.md): on every test set with this many faces of each class, a frame model's ROC-AUC
# may fall at most this far below the photo detector it was fine-tuned from
GUARD_MIN_FACES, GUARD_MARGIN = 40, 0.02


@dataclass(frozen=True)
class FrameJudge:
    """Clip P(fake) = sigmoid((logit(mean frame P) - logit(centre)) / temperature); undecided within ±band of 0.5."""

    centre: float
    temperature: float
    band: float

    @property
    def at_bound(self) -> bool:
        return temperature_at_bound(self.temperature)

    def p_fake(self, clip_means: np.ndarray) -> np.ndarray:
        return expit(centred_logits(clip_means, self.centre) / self.temperature)


def centred_logits(clip_means: np.ndarray, centre: float) -> np.ndarray:
    """logit of each clip's mean frame P(fake) less logit(centre): 0 at the threshold."""
    return logit(np.clip(clip_means, P_CLIP, 1 - P_CLIP)) - logit(centre)


def fit_frame_judge(clip_means: np.ndarray, labels: np.ndarray, decided: float) -> FrameJudge:
    """Centre at the best balanced accuracy, temperature by log-loss, and the widest band that leaves at least
    `decided` of these clips outside it."""
    from facetrust.evaluation.metrics import choose_threshold  # scikit-learn: only where a judge is fitted

    centre = choose_threshold(labels, clip_means)
    temperature = fit_temperature(centred_logits(clip_means, centre), labels)
    calibrated = expit(centred_logits(clip_means, centre) / temperature)
    return FrameJudge(centre, temperature, widest_band(calibrated, decided))


def widest_band(p: np.ndarray, decided: float) -> float:
    """The widest band around 0.5 that leaves at least `decided` of these scores outside it: any band up to the
    distance of the first score that must stay decided qualifies, so it is put halfway between that score and the
    last one allowed inside (a max-margin choice, as `choose_threshold` makes)."""
    distances = np.sort(np.abs(p - 0.5))
    undecided = int(np.floor(len(p) * (1 - decided)))  # at most this many may fall inside the band
    return float(distances[undecided - 1] + distances[undecided]) / 2 if undecided else 0.0


@dataclass(frozen=True)
class OutOfFold:
    """Every clip's calibrated P(fake) and band from a judge fitted on the other folds' clips only."""

    p_fake: np.ndarray
    bands: np.ndarray
    judges: list[FrameJudge]  # one per fold, in fold order

    @property
    def decided(self) -> np.ndarray:
        return np.abs(self.p_fake - 0.5) > self.bands

    def right(self, labels: np.ndarray) -> np.ndarray:
        return (self.p_fake >= 0.5) == (labels == 1)


def judge_out_of_fold(clip_means: np.ndarray, labels: np.ndarray, folds: np.ndarray, decided: float) -> OutOfFold:
    """Nested calibration: for each fold, `fit_frame_judge` on the other folds' clips, applied to this fold's."""
    p_fake, bands, judges = np.zeros(len(clip_means)), np.zeros(len(clip_means)), []
    for fold in np.unique(folds):
        held = folds == fold
        judge = fit_frame_judge(clip_means[~held], labels[~held], decided)
        p_fake[held], bands[held] = judge.p_fake(clip_means[held]), judge.band
        judges.append(judge)
    return OutOfFold(p_fake, bands, judges)


def forgetting_guard(measured: dict[str, dict], reference: dict[str, dict]) -> list[str]:
    """What a frame model forgot of the photo detector's families: one line per test set with at least
    GUARD_MIN_FACES faces of each class whose ROC-AUC fell more than GUARD_MARGIN below the reference's, or which
    was not measured. `reference` maps source names ("k140") to the detector card's test rows, `measured` maps
    "k140/test" to the frame model's (`scripts/measure_detector.py`'s summary). Empty: passed."""
    failures = []
    for source, before in reference.items():
        if min(before["n_real"], before["n_fake"]) < GUARD_MIN_FACES:
            continue
        after = measured.get(f"{source}/test")
        if after is None:
            failures.append(f"{source}/test: not measured")
        elif after["roc_auc"] < before["roc_auc"] - GUARD_MARGIN:
            failures.append(f"{source}/test: ROC-AUC {after['roc_auc']:.3f}, the photo detector's "
                            f"{before['roc_auc']:.3f}")
    return failures
