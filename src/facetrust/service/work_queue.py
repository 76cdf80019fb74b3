"""A bounded queue in front of the scanner: inference runs on worker threads, never on the event loop,
and when too much work is already waiting new requests are refused (HTTP 429) instead of piling up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class QueueFull(Exception):
    """Every slot (running + waiting) is taken; the client should retry later."""


class WorkQueue:
    """`workers` threads run jobs; at most `max_pending` jobs (running or waiting) are accepted at once.

    The counter is only touched from the event loop thread, so it needs no lock.
    """

    def __init__(self, workers: int = 1, max_pending: int = 8) -> None:
        self.max_pending = max_pending
        self.pending = 0
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="facetrust-scan")

    async def run(self, job: Callable[[], T], timeout: float) -> T:
        """Run `job` on a worker; raises QueueFull at once when full, TimeoutError after `timeout` seconds."""
        if self.pending >= self.max_pending:
            raise QueueFull
        self.pending += 1
        future = asyncio.get_running_loop().run_in_executor(self._executor, job)
        future.add_done_callback(self._release)
        return await asyncio.wait_for(asyncio.shield(future), timeout)

    def _release(self, _future: asyncio.Future) -> None:
        # Called when the job really ends, so a timed-out job keeps its slot until its thread is free.
        self.pending -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
