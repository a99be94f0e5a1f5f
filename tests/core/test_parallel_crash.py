"""A worker dies in the middle of a fan-out — some items answered, four in flight, the rest
not sent — and another worker resumes the run: no write happens twice. The provider is a
real HTTP server on 127.0.0.1 (tests/core/provider.py); the death is the worker's task
cancelled mid-flight, its in-flight requests then completing at the provider, as they would
after a SIGKILL. (tests/reliability/test_crash_safety.py does the same with SIGKILLed
`deputy worker` processes, which run steps and items in parallel by default.)"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.domain import PlanDraft, Step
from bot.execution.worker import Worker
from bot.settings import Settings
from bot.store.database import Database
from tests.core.parallel_world import fan_out, only_run, provider_app
from tests.core.provider import Provider
from tests.support.builder import FakeClock
from tests.support.chat import Chat

ITEMS = 10


@pytest.mark.parametrize("provider", [True, False], ids=["idempotent", "no-keys"], indirect=True)
async def test_a_worker_killed_mid_fan_out_never_repeats_a_write(
        database: Database, settings: Settings, provider: Provider, fake_clock: FakeClock) -> None:
    for i in range(3, ITEMS):
        provider.hold(f"item-{i}")  # items 0-2 answer; 3-6 hang in flight; 7-9 wait for a slot
    app = await provider_app(database, settings, provider, fan_out(ITEMS), max_concurrency=4,
                             clock=fake_clock, run_lease_seconds=0.2)
    chat = Chat(app)
    await chat.say("send the items")
    first = asyncio.create_task(chat.say("approve"))
    await provider.until(lambda: len(provider.effects) == 3 and provider.in_flight == 4)
    first.cancel()  # the worker dies with four requests in flight
    with pytest.raises(asyncio.CancelledError):
        await first
    for i in range(3, ITEMS):
        provider.release(f"item-{i}")
    await provider.until(lambda: provider.in_flight == 0)
    sent_before = len(provider.arrivals)

    fake_clock.advance(seconds=1)  # the dead worker's lease ran out
    assert await Worker(app, "after-restart").run_once()
    run, results = await only_run(database)
    labels = Counter(label for _, label in provider.effects)
    assert all(n == 1 for n in labels.values()), labels  # no write happened twice
    if provider.idempotent:
        # every item sent again under its own key; the provider answered repeats from its
        # ledger, and the items never sent before were sent now
        assert run.status == "succeeded"
        assert sorted(labels) == sorted(f"item-{i}" for i in range(ITEMS))
        keys = {a.key for a in provider.arrivals if a.label == "item-5"}
        assert keys == {f"deputy-run{run.id}-s2-5"}
        assert [r["sent"] for r in results["s2"].result["results"]] == [f"item-{i}" for i in range(ITEMS)]
    else:
        # the provider cannot tell what it received: nothing is sent again, a person checks
        assert run.status == "failed" and "cannot tell whether it happened" in run.error
        assert len(provider.arrivals) == sent_before


@pytest.mark.parametrize("provider", [True], ids=["idempotent"], indirect=True)
async def test_a_stopped_worker_leaves_no_step_running_behind_it(
        database: Database, settings: Settings, provider: Provider) -> None:
    """A stop (the worker's task cancelled, as on SIGTERM) returns only once the steps under
    way have ended: none is left to finish its clean-up after the process closes its
    database pool, or as the event loop closes (a test's teardown hung on that)."""
    labels = ("r1", "r2", "r3")
    for label in labels:
        provider.hold(label)
    plan = PlanDraft(summary="Read three things", steps=[
        Step(id=f"s{i}", action="slowapi.read", args={"label": label}, note=f"Read {label}")
        for i, label in enumerate(labels, 1)])
    app = await provider_app(database, settings, provider, plan)
    said = asyncio.create_task(Chat(app).say("read three things"))
    await provider.until(lambda: provider.in_flight == 3)
    said.cancel()
    with pytest.raises(asyncio.CancelledError):
        await said
    left = [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == "timed_step"  # type: ignore[union-attr]
            and not t.done()]
    for label in labels:
        provider.release(label)
    assert left == []
