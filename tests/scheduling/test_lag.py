"""deputy_scheduler_lag_seconds: from a monitor's scheduled time to its firing committed."""

from __future__ import annotations

from datetime import timedelta

from bot import metrics
from bot.app import Deputy
from bot.scheduling.firing import enqueue_batch, enqueue_firing
from tests.scheduling.conftest import Clock
from tests.scheduling.test_monitors import approved


def lag() -> float | None:
    return metrics.REGISTRY.get_sample_value("deputy_scheduler_lag_seconds")


async def test_the_lag_is_how_late_the_firing_was_committed(seeded: Deputy, clock: Clock) -> None:
    monitor_id = await approved(seeded)
    metrics.SCHEDULER_LAG.set(-1)
    assert (await enqueue_firing(seeded, monitor_id, clock.now - timedelta(seconds=42))).outcome == "queued"
    assert lag() == 42.0

    # a batch reports its latest firing
    [a, b] = await enqueue_batch(seeded, [(monitor_id, clock.now - timedelta(seconds=7)),
                                          (monitor_id, clock.now - timedelta(seconds=90))])
    assert (a.outcome, b.outcome) == ("queued", "queued")
    assert lag() == 90.0


async def test_manual_and_duplicate_firings_leave_the_lag_alone(seeded: Deputy, clock: Clock) -> None:
    monitor_id = await approved(seeded)
    await enqueue_firing(seeded, monitor_id, clock.now - timedelta(seconds=3))
    assert lag() == 3.0
    # the same time again (a scheduler that took over): nothing was written, nothing measured
    assert (await enqueue_firing(seeded, monitor_id, clock.now - timedelta(seconds=3))).outcome == "duplicate"
    # `monitor run` now: not a schedule being late
    await enqueue_firing(seeded, monitor_id, clock.now - timedelta(seconds=600), manual=True)
    assert lag() == 3.0
