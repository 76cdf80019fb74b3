"""Data-parallel training over several processes with PyTorch DDP (gloo, so it runs on CPUs).

`torchrun --nproc-per-node N -m facetrust train ...` starts N copies of the same command; torchrun's
environment (RANK, WORLD_SIZE, MASTER_ADDR, ...) tells each copy its place. Every copy holds the whole
model and trains on its share of each batch; DDP averages the gradients, so with equal shares a step
is the same step one process would take on the whole batch. Validation runs in every copy (the
weights are identical, so every copy reaches the same decisions without messages); only the leader
(rank 0) writes files. Without torchrun's environment this is one ordinary process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


@dataclass(frozen=True)
class Workers:
    """This process's rank among `world` training processes."""

    rank: int = 0
    world: int = 1

    @property
    def leader(self) -> bool:
        return self.rank == 0

    def share(self, batch: np.ndarray) -> np.ndarray:
        """This process's part of a batch of sample indices (every world-th, starting at its rank)."""
        return batch[self.rank::self.world]

    def wait_for_all(self) -> None:
        if self.world > 1:
            dist.barrier()

    def wrap(self, model: nn.Module) -> nn.Module:
        """The module to train: DDP (gradient averaging across processes) when there are several."""
        return DistributedDataParallel(model) if self.world > 1 else model


def join_workers() -> Workers:
    """Join the process group torchrun describes in the environment (gloo backend), or run alone."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Workers()
    if not dist.is_initialized():
        dist.init_process_group("gloo")
    return Workers(dist.get_rank(), dist.get_world_size())
