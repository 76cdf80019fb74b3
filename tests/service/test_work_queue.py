import asyncio
import threading

import pytest

from facetrust.service.work_queue import QueueFull, WorkQueue


def test_queue_refuses_work_beyond_its_bound_and_frees_slots_when_jobs_end():
    release = threading.Event()

    async def scenario() -> None:
        queue = WorkQueue(workers=1, max_pending=1)
        first = asyncio.ensure_future(queue.run(release.wait, timeout=10))
        await asyncio.sleep(0.05)
        with pytest.raises(QueueFull):
            await queue.run(lambda: 1, timeout=10)
        release.set()
        assert await first is True
        assert await queue.run(lambda: 2, timeout=10) == 2
        queue.shutdown()

    asyncio.run(scenario())


def test_timed_out_job_keeps_its_slot_until_it_really_ends():
    release = threading.Event()

    async def scenario() -> None:
        queue = WorkQueue(workers=1, max_pending=1)
        with pytest.raises(TimeoutError):
            await queue.run(release.wait, timeout=0.05)
        assert queue.pending == 1  # the thread is still busy
        release.set()
        await asyncio.sleep(0.1)
        assert queue.pending == 0
        queue.shutdown()

    asyncio.run(scenario())
