"""The project's one metrics function for real (0) vs fake (1), fake being the positive class."""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve


def binary_metrics(labels: np.ndarray, p_fake: np.ndarray, threshold: float = 0.5, ece_bins: int = 15) -> dict:
    """Accuracy, precision, recall, F1, ROC-AUC, AP, EER, ECE, confusion, counts at `threshold`.

    A set holding one class only is valid: ranking metrics (ROC-AUC, AP, EER) are then None, and the
    false-positive rate (all real) or the recall (all fake) carries the information.
    """
    labels = np.asarray(labels, dtype=int)
    p_fake = np.asarray(p_fake, dtype=float)
    if labels.shape != p_fake.shape or labels.ndim != 1:
        raise ValueError("labels and p_fake must be 1-D arrays of the same length")
    predicted = (p_fake >= threshold).astype(int)
    tp = int(((predicted == 1) & (labels == 1)).sum())
    tn = int(((predicted == 0) & (labels == 0)).sum())
    fp = int(((predicted == 1) & (labels == 0)).sum())
    fn = int(((predicted == 0) & (labels == 1)).sum())
    n_fake, n_real = tp + fn, tn + fp
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, n_fake)
    both_classes = n_fake > 0 and n_real > 0
    return {
        "n": len(labels), "n_real": n_real, "n_fake": n_fake, "threshold": float(threshold),
        "accuracy": _ratio(tp + tn, len(labels)),
        "balanced_accuracy": (recall + _ratio(tn, n_real)) / 2 if both_classes else None,
        "precision": precision, "recall": recall,
        "f1": _ratio(2 * precision * recall, precision + recall) if precision is not None and recall is not None
        else None,
        "fpr": _ratio(fp, n_real), "fnr": _ratio(fn, n_fake),
        "roc_auc": float(roc_auc_score(labels, p_fake)) if both_classes else None,
        "ap": float(average_precision_score(labels, p_fake)) if both_classes else None,
        "eer": equal_error_rate(labels, p_fake) if both_classes else None,
        "tpr_at_5_fpr": tpr_at_fpr(labels, p_fake, 0.05) if both_classes else None,
        "ece": expected_calibration_error(labels, p_fake, ece_bins) if len(labels) else None,
        "confusion": [[tn, fp], [fn, tp]],  # rows: true real, true fake; columns: predicted real, fake
    }


def tpr_at_fpr(labels: np.ndarray, p_fake: np.ndarray, fpr_limit: float) -> float:
    """The share of fakes caught at the strictest operating point that calls at most `fpr_limit` of reals fake:
    what a user who can afford that false-alarm rate gets, whatever threshold a model ships with."""
    fpr, tpr, _ = roc_curve(labels, p_fake, drop_intermediate=False)
    return float(tpr[fpr <= fpr_limit].max())


def equal_error_rate(labels: np.ndarray, p_fake: np.ndarray) -> float:
    """The error rate where false-positive and false-negative rates are equal (interpolated on the ROC)."""
    fpr, tpr, _ = roc_curve(labels, p_fake)
    fnr = 1 - tpr
    i = int(np.nanargmin(np.abs(fnr - fpr)))
    if i + 1 < len(fpr) and (fnr[i] - fpr[i]) * (fnr[i + 1] - fpr[i + 1]) < 0:
        # Linear interpolation between the two ROC points that bracket the crossing.
        d0, d1 = fnr[i] - fpr[i], fnr[i + 1] - fpr[i + 1]
        t = d0 / (d0 - d1)
        return float(fpr[i] + t * (fpr[i + 1] - fpr[i]))
    return float((fpr[i] + fnr[i]) / 2)


def expected_calibration_error(labels: np.ndarray, p_fake: np.ndarray, bins: int = 15) -> float:
    """Mean |P(fake) - observed fake rate| over equal-width probability bins, weighted by bin size."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p_fake, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            error += inside.mean() * abs(p_fake[inside].mean() - labels[inside].mean())
    return float(error)


def choose_threshold(labels: np.ndarray, p_fake: np.ndarray, target_recall: float | None = None,
                     max_fpr: float | None = None) -> float:
    """Decision threshold from validation data: best balanced accuracy, the highest reaching a recall, or the
    lowest whose false-positive rate stays within `max_fpr` (the most fakes caught for a bounded false-alarm rate).

    Every threshold between the chosen validation score and the next lower one gives the same validation
    counts; the midpoint of that gap (in logit space) is returned rather than its upper edge, which would
    sit exactly on a validation fake and miss any new fake scored a hair lower (a max-margin choice, as
    decision trees split between neighbouring values).
    """
    labels = np.asarray(labels, dtype=int)
    p_fake = np.asarray(p_fake, dtype=float)
    if labels.min(initial=1) == labels.max(initial=0):
        raise ValueError("choosing a threshold needs both real and fake validation examples")
    fpr, tpr, thresholds = roc_curve(labels, p_fake, drop_intermediate=False)
    finite = np.isfinite(thresholds)
    fpr, tpr, thresholds = fpr[finite], tpr[finite], thresholds[finite]
    if target_recall is not None and max_fpr is not None:
        raise ValueError("choose a threshold by a recall target or by a false-positive bound, not both")
    if target_recall is not None:
        chosen = int(np.flatnonzero(tpr >= target_recall)[0])
    elif max_fpr is not None:
        within = np.flatnonzero(fpr <= max_fpr)
        if not len(within):
            raise ValueError(f"no threshold keeps the false-positive rate within {max_fpr}: even at the highest "
                             f"validation score, {fpr[0]:.3g} of the {int((labels == 0).sum())} real faces are called "
                             "fake (use more validation faces or a larger bound)")
        chosen = int(within[-1])
    else:
        chosen = int(np.argmax(tpr - fpr))
    if chosen + 1 == len(thresholds):
        return float(thresholds[chosen])
    edges = np.clip(thresholds[chosen:chosen + 2], 1e-12, 1 - 1e-12)
    return float(expit(logit(edges).mean()))


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator / denominator) if denominator else None
