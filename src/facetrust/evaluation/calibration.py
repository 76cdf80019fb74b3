"""Temperature scaling: one scalar T so that sigmoid(logit / T) is a calibrated P(fake) (or, for several classes,
softmax(logits / T) calibrated class probabilities)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_expit, log_softmax

# T is searched in this range: a model whose validation scores carry no signal (or the wrong sign)
# would otherwise push T to infinity; at the bound its probabilities are all close to 0.5, as they should be.
TEMPERATURE_RANGE = (0.05, 100.0)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Minimise validation log-loss over T (Guo et al., 2017); ranking and accuracy are unchanged. `logits` are
    (n,) with 0/1 labels, or (n, classes) with class-index labels."""
    x = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels)

    def log_loss(log_t: float) -> float:
        z = x / np.exp(log_t)
        if z.ndim == 2:  # one logit per class: labels are class indices
            return float(-np.mean(log_softmax(z, axis=1)[np.arange(len(y)), y.astype(int)]))
        return float(-np.mean(y * log_expit(z) + (1 - y) * log_expit(-z)))

    low, high = np.log(TEMPERATURE_RANGE)
    return float(np.exp(minimize_scalar(log_loss, bounds=(low, high), method="bounded").x))


def temperature_at_bound(temperature: float) -> bool:
    """A temperature fitted to the edge of TEMPERATURE_RANGE: the scores do not support a calibration (at the
    upper edge every probability sits near 0.5), so nothing calibrated by it should ship."""
    return not TEMPERATURE_RANGE[0] * 1.02 < temperature < TEMPERATURE_RANGE[1] * 0.99
