"""A worker stopped at the moment work arrives stops (Python 3.11's ``asyncio.wait_for``
swallows a cancellation that lands as the awaited event is set; the worker's loop would
then go on polling for ever, and whatever waits for it — a process's shutdown, a test's
teardown — with it)."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import Deputy
from bot.execution.worker import Worker


async def test_a_worker_cancelled_as_it_is_woken_stops(deputy: Deputy, monkeypatch: pytest.MonkeyPatch) -> None:
    worker = Worker(deputy, "w")
    idle = asyncio.Event()
    pause = worker._pause

    def pausing(outage: int) -> float:
        idle.set()  # the worker found nothing to do and is about to wait to be woken
        return pause(outage)

    monkeypatch.setattr(worker, "_pause", pausing)
    task = asyncio.create_task(worker.run_forever())
    async with asyncio.timeout(30):
        await idle.wait()
    for _ in range(3):
        await asyncio.sleep(0)  # into its wait for the wake-up event
    deputy.work_available.set()  # a run was approved …
    task.cancel()  # … as the process stops
    done, _ = await asyncio.wait([task], timeout=5)
    assert done, "the worker went on after it was cancelled"
    assert task.cancelled()
