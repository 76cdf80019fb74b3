"""The one metrics function for multi-class labels (facial expressions)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support


def multiclass_metrics(labels: np.ndarray, probabilities: np.ndarray, classes: Sequence[str]) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1, confusion matrix and counts.

    Predictions range over every class the model knows; macro-F1 and the per-class table cover the
    classes present in `labels` only (a folder of three expressions is judged on those three), and
    `classes_evaluated` says which those were.
    """
    labels = np.asarray(labels, dtype=int)
    probabilities = np.asarray(probabilities, dtype=float)
    if probabilities.shape != (len(labels), len(classes)):
        raise ValueError(f"probabilities must be (n, {len(classes)}), got {probabilities.shape}")
    predicted = probabilities.argmax(axis=1) if len(labels) else np.zeros(0, int)
    present = sorted(set(labels.tolist()))
    precision, recall, f1, support = precision_recall_fscore_support(labels, predicted, labels=present,
                                                                     zero_division=0)
    return {
        "n": len(labels),
        "accuracy": float((predicted == labels).mean()) if len(labels) else None,
        "macro_f1": float(np.mean(f1)) if present else None,
        "per_class": {classes[c]: {"precision": float(p), "recall": float(r), "f1": float(f), "n": int(n)}
                      for c, p, r, f, n in zip(present, precision, recall, f1, support, strict=True)},
        "confusion": confusion_matrix(labels, predicted, labels=range(len(classes))).tolist(),
        "classes": list(classes),  # rows of `confusion`: true class; columns: predicted class
        "classes_evaluated": [classes[c] for c in present],
    }
