"""A video judge over out-of-fold frame scores of the FF++ c40 clips: aggregates, nested calibration, a band.

Usage: python scripts/ffpp_video_judge.py runs/ffpp-sup/scores.csv [--data ../shared/data/video/ffpp_c40]
                                          [--picture docs/images/video_judge.png]
Reads the out-of-fold frame P(fake) that `scripts/ffpp_sbi_folds.py` writes and follows the rule pre-registered
in docs/VIDEO.md ("A judge over out-of-fold frame scores"): each aggregate's pooled clip ROC-AUC (overall, against
the YouTube originals alone, per method) and a learned judge's on the frame logits' summary, nested out of fold
("A learned judge on frame scores"); then, for the chosen aggregate and each identity-disjoint fold, a
threshold, a bounded temperature and an uncertain band fitted on the other four folds' clips only and applied to
the held-out fold, so every clip's calibrated P(fake) and verdict are out of fold. Prints the decided share and
the accuracy of decided verdicts (issue 24 acceptance 3) and draws every clip's calibrated P with its band.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from ffpp_by_method import read_clips
from scipy.special import logit
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from facetrust.evaluation.metrics import binary_metrics
from facetrust.evaluation.plots import plt, save_figure
from facetrust.video.frame_judge import OutOfFold, fit_frame_judge, judge_out_of_fold
from facetrust.video.identities import discover_videos, identity_folds

DECIDED = 0.70  # the least share of clips the band must leave decided (issue 24 point 3)
CHANGE_MARGIN = 0.01  # another aggregate replaces the mean only if its pooled clip ROC-AUC is this much higher
AGGREGATES = {
    "mean": np.mean,
    "top-quarter mean": lambda p: float(np.mean(np.sort(p)[-max(1, len(p) // 4):])),
    "75th percentile": lambda p: float(np.percentile(p, 75)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scores", type=Path)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/video/ffpp_c40"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--picture", type=Path, default=None)
    args = parser.parse_args()
    by_method = read_clips(args.scores)
    videos = discover_videos(args.data)
    fold_of = {v.path.name: f for v, f in zip(videos, identity_folds(videos, args.folds), strict=True)}
    clips = [(method, clip, p) for method, of_method in by_method.items() for clip, p in of_method.items()]
    methods = np.array([method for method, _, _ in clips])
    names, frames = [clip for _, clip, _ in clips], [p for _, _, p in clips]
    labels = (methods != "real").astype(int)
    folds = np.array([fold_of[clip] for clip in names])
    same_people = (labels == 1) | np.array([clip.startswith("youtube") for clip in names])
    print(f"{len(names)} clips ({labels.sum()} fake), {sum(map(len, frames))} frames, from {args.scores}")
    print("| aggregate | clip ROC-AUC | vs YouTube originals | " + " | ".join(sorted(set(methods) - {"real"}))
          + " |\n|---|---:|---:|" + "---:|" * len(set(methods) - {"real"}))
    aucs = {}
    for name, aggregate in AGGREGATES.items():
        score = np.array([aggregate(np.asarray(f)) for f in frames])
        aucs[name] = auc(labels, score)
        print(f"| {name} | {aucs[name]:.3f} | {auc(labels[same_people], score[same_people]):.3f} | "
              + " | ".join(f"{a:.3f}" for a in method_aucs(labels, methods, score)) + " |")
    best = max(aucs, key=aucs.get)
    chosen = best if aucs[best] >= aucs["mean"] + CHANGE_MARGIN else "mean"
    print(f"chosen aggregate: {chosen}")
    summary = _summary(frames)
    learned = auc(labels, stacked_out_of_fold(summary, labels, folds))
    print(f"learned judge on (mean, std, mean |change|) of the frame logits, nested out of fold: clip ROC-AUC "
          f"{learned:.3f} ({'worth building' if learned >= aucs['mean'] + CHANGE_MARGIN else 'the mean stays'})")
    learned_nested = _stacked_calibrated(summary, labels, folds)
    decided, right = learned_nested.decided, learned_nested.right(labels)
    print(f"  calibrated and banded with an inner loop: decided {decided.mean():.1%}, right {right[decided].mean():.1%}"
          f" of those, ECE {binary_metrics(labels, learned_nested.p_fake)['ece']:.3f}")
    clip_means = np.array([AGGREGATES[chosen](np.asarray(f)) for f in frames])
    nested = judge_out_of_fold(clip_means, labels, folds, DECIDED)
    for fold, judge in enumerate(nested.judges):
        print(f"fold {fold}: threshold {judge.centre:.3f}, temperature {judge.temperature:.2f}"
              f"{' (AT ITS BOUND)' if judge.at_bound else ''}, band ±{judge.band:.3f}, "
              f"{(folds == fold).sum()} held-out clips")
    calibrated, bands, decided, right = nested.p_fake, nested.bands, nested.decided, nested.right(labels)
    print(f"decided {decided.sum()} of {len(clip_means)} clips ({decided.mean():.1%}); right {right[decided].sum()} of "
          f"{decided.sum()} decided ({right[decided].mean():.1%}); accuracy at 0.5 over all clips {right.mean():.1%}; "
          f"ECE {binary_metrics(labels, calibrated)['ece']:.3f}")
    for k in np.flatnonzero(decided & ~right):
        print(f"  wrong and decided: {names[k]} ({methods[k]}), P(fake) {calibrated[k]:.2f}, band ±{bands[k]:.2f}")
    if args.picture:
        _draw(args.picture, calibrated, bands, methods, chosen)


def _summary(frames: list[list[float]]) -> np.ndarray:
    """Per clip: its frame logits' mean, spread and mean change between successive sampled frames."""
    logits = [logit(np.clip(np.asarray(f), 1e-6, 1 - 1e-6)) for f in frames]
    return np.array([[z.mean(), z.std(), np.abs(np.diff(z)).mean()] for z in logits])


def _learned_judge(summary: np.ndarray, labels: np.ndarray) -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(summary, labels)


def stacked_out_of_fold(summary: np.ndarray, labels: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Each clip's score from a standardised logistic regression on its `summary` row, fitted on the other folds'
    clips (docs/VIDEO.md, "A learned judge on frame scores"; scripts/ffpp_flicker.py uses it on its own summary)."""
    scores = np.zeros(len(summary))
    for fold in np.unique(folds):
        held = folds == fold
        scores[held] = _learned_judge(summary[~held], labels[~held]).predict_proba(summary[held])[:, 1]
    return scores


def _stacked_calibrated(summary: np.ndarray, labels: np.ndarray, folds: np.ndarray) -> OutOfFold:
    """Calibrated P(fake) and band of every clip with nothing of its fold used: for each held-out fold, the judge's
    centre, temperature and band are fitted on the other folds' own out-of-fold scores (an inner loop), then the
    learned judge fitted on those folds scores the held-out one."""
    p_fake, bands, judges = np.zeros(len(summary)), np.zeros(len(summary)), []
    for fold in np.unique(folds):
        held = folds == fold
        inner = stacked_out_of_fold(summary[~held], labels[~held], folds[~held])
        judges.append(fit_frame_judge(inner, labels[~held], DECIDED))
        scores = _learned_judge(summary[~held], labels[~held]).predict_proba(summary[held])[:, 1]
        p_fake[held], bands[held] = judges[-1].p_fake(scores), judges[-1].band
    return OutOfFold(p_fake, bands, judges)


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    return binary_metrics(labels, scores)["roc_auc"]


def method_aucs(labels: np.ndarray, methods: np.ndarray, scores: np.ndarray) -> list[float]:
    """Each manipulation method's clips against every real clip, methods in name order ("real" is not one)."""
    return [auc(labels[(methods == m) | (labels == 0)], scores[(methods == m) | (labels == 0)])
            for m in sorted(set(methods) - {"real"})]


def _draw(path: Path, calibrated: np.ndarray, bands: np.ndarray, methods: np.ndarray, aggregate: str) -> None:
    order = sorted(set(methods), key=lambda m: (m != "real", m))
    figure, axes = plt.subplots(figsize=(8, 3.6))
    for row, method in enumerate(order):
        mine = methods == method
        jitter = np.random.default_rng(row).uniform(-0.15, 0.15, mine.sum())
        axes.scatter(calibrated[mine], row + jitter, s=22, color="tab:green" if method == "real" else "tab:red")
    axes.axvline(0.5, color="black", lw=1)
    for band in sorted(set(bands.round(4))):
        axes.axvspan(0.5 - band, 0.5 + band, color="grey", alpha=0.12)
    axes.set_yticks(range(len(order)), order)
    axes.set_xlim(0, 1)
    axes.set_xlabel(f"out-of-fold calibrated P(fake) of the clip ({aggregate} of its frames); grey: uncertain bands")
    save_figure(figure, path)


if __name__ == "__main__":
    main()
