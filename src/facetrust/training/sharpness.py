"""Sharpness-aware minimisation (SAM; Foret et al., ICLR 2021), the optimiser the self-blended-images detector was
trained with (Shiohara & Yamasaki, CVPR 2022): each step's gradient is taken at the worst weights within a small
ball around the current ones, so training settles where the loss is flat, which is meant to carry better to data the
model never saw. The base optimiser (AdamW, with its schedule) makes the step; SAM only chooses the gradient.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


class SharpnessAware:
    """One training step of `optimiser`, sharpness-aware when `rho` > 0 (the ball's radius; 0 = a plain step).

    `step(loss_of)` calls `loss_of()` once for a plain step and twice for SAM: at the current weights, then at the
    weights moved by `rho` along that gradient (normalised over all parameters), whose gradient the optimiser then
    applies to the current weights. Batch-norm statistics update on both passes, as in the SBI paper's training.
    """

    def __init__(self, optimiser: torch.optim.Optimizer, rho: float = 0.0) -> None:
        if rho < 0:
            raise ValueError(f"rho must be 0 (a plain step) or more, got {rho}")
        self.optimiser = optimiser
        self.rho = rho

    def step(self, loss_of: Callable[[], torch.Tensor]) -> torch.Tensor:
        """Update the weights from `loss_of`'s gradient (at the worst nearby weights for SAM); returns the loss at
        the current weights, the one training reports."""
        self.optimiser.zero_grad()
        loss = loss_of()
        loss.backward()
        if self.rho:
            moves = self._climb()
            self.optimiser.zero_grad()
            loss_of().backward()
            with torch.no_grad():
                for parameter, move in moves:
                    parameter.sub_(move)
        self.optimiser.step()
        return loss

    @torch.no_grad()
    def _climb(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Move every parameter with a gradient by `rho` times the gradient over its global norm (ascent); returns
        the moves, to be undone before the optimiser steps."""
        parameters = [p for group in self.optimiser.param_groups for p in group["params"] if p.grad is not None]
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in parameters]))
        scale = self.rho / (norm + 1e-12)
        moves = [(p, p.grad * scale) for p in parameters]
        for parameter, move in moves:
            parameter.add_(move)
        return moves
