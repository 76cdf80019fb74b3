"""Temperature scaling: one scalar T so that sigmoid(logit / T) is a calibrated P(fake)."""

from __future__ import annotations

import numpy as np
import torch


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Minimise validation log-loss over T > 0 (Guo et al., 2017); ranking and accuracy are unchanged."""
    x = torch.as_tensor(np.asarray(logits, dtype=np.float64))
    y = torch.as_tensor(np.asarray(labels, dtype=np.float64))
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200)

    def loss() -> torch.Tensor:
        optimiser.zero_grad()
        value = torch.nn.functional.binary_cross_entropy_with_logits(x / log_t.exp(), y)
        value.backward()
        return value

    optimiser.step(loss)
    return float(log_t.detach().exp())
