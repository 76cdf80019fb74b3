"""Temperature scaling: one scalar T so that sigmoid(logit / T) is a calibrated P(fake)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_expit

# T is searched in this range: a model whose validation scores carry no signal (or the wrong sign)
# would otherwise push T to infinity; at the bound its probabilities are all close to 0.5, as they should be.
TEMPERATURE_RANGE = (0.05, 100.0)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Minimise validation log-loss over T (Guo et al., 2017); ranking and accuracy are unchanged."""
    x = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)

    def log_loss(log_t: float) -> float:
        z = x / np.exp(log_t)
        return float(-np.mean(y * log_expit(z) + (1 - y) * log_expit(-z)))

    low, high = np.log(TEMPERATURE_RANGE)
    return float(np.exp(minimize_scalar(log_loss, bounds=(low, high), method="bounded").x))
