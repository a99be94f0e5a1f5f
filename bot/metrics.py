"""Prometheus metrics of one Deputy process, served at ``GET /metrics``.

Counters and the step histogram count what *this process* did (a `deputy worker` counts the
steps it ran, the web process the goals and approvals it handled), as Prometheus expects
from each scraped process. Run counts and queue depth are read from the database on scrape,
so every process reports the same, shared truth.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.domain import RunStatus
from bot.errors import DatabaseUnavailable
from bot.store import runs

if TYPE_CHECKING:
    from bot.store.database import Database

log = logging.getLogger(__name__)
T = TypeVar("T")

# a registry of our own, so importing a library that registers metrics adds nothing here
REGISTRY = CollectorRegistry(auto_describe=True)

GOALS_CREATED = Counter("deputy_goals_created", "Goals received from chat.", registry=REGISTRY)
PLANS_PROPOSED = Counter("deputy_plans_proposed", "Plan versions proposed (new plans, edits, "
                         "re-plans).", registry=REGISTRY)
APPROVALS = Counter("deputy_approvals", "Approval decisions recorded.", ["decision"],
                    registry=REGISTRY)
MODEL_TOKENS = Counter("deputy_model_tokens", "Model tokens spent on planning.", ["kind"],
                       registry=REGISTRY)
STEP_SECONDS = Histogram("deputy_step_duration_seconds", "Time to run one plan step.",
                         ["integration", "status"], registry=REGISTRY,
                         buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
RUNS = Gauge("deputy_runs", "Runs by status (from the database).", ["status"], registry=REGISTRY)
QUEUE_DEPTH = Gauge("deputy_queue_depth", "Runs queued and waiting for a worker (from the "
                    "database).", registry=REGISTRY)
DATABASE_UP = Gauge("deputy_database_up", "1 when the last scrape could read the database.",
                    registry=REGISTRY)
# set by the leading scheduler as it commits firings (bot/scheduling/firing.py)
SCHEDULER_LAG = Gauge("deputy_scheduler_lag_seconds", "Seconds from a monitor's scheduled time "
                      "to its firing being committed (the latest firings).", registry=REGISTRY)

# a request answered "busy" by an adapter whose hand-off was full (bot/adapters/handoff.py)
REFUSED_BUSY = Counter("deputy_requests_refused_busy", "Requests answered \"busy\" and not taken, "
                       "the hand-off to the core being full.", ["platform"], registry=REGISTRY)

TOKEN_KINDS = ("input", "output", "cache_read", "cache_write")
# a scrape every few seconds from several Prometheus servers must not each hit the database
DATABASE_CACHE_SECONDS = 5.0


def count_tokens(usage: Mapping[str, int]) -> None:
    """Add a planner outcome's usage ({"input": …, "output": …, "cache_read": …})."""
    for kind in TOKEN_KINDS:
        if usage.get(kind):
            MODEL_TOKENS.labels(kind=kind).inc(usage[kind])


async def timed_step(action: str, step: Awaitable[T]) -> T:
    """Await one step, recording its duration under its integration and outcome."""
    integration = action.split(".", 1)[0]
    started = time.monotonic()
    try:
        result = await step
    except BaseException:
        STEP_SECONDS.labels(integration=integration, status="failed").observe(
            time.monotonic() - started)
        raise
    STEP_SECONDS.labels(integration=integration, status="succeeded").observe(
        time.monotonic() - started)
    return result


class DatabaseGauges:
    """Refreshes the run gauges from one database, at most every ``max_age`` seconds."""

    def __init__(self, database: Database, max_age: float = DATABASE_CACHE_SECONDS) -> None:
        self.database = database
        self.max_age = max_age
        self._read_at: float | None = None

    async def refresh(self) -> None:
        now = time.monotonic()
        if self._read_at is not None and now - self._read_at < self.max_age:
            return
        try:
            async with self.database.session(all_teams=True) as session:
                counts = await runs.count_by_status(session)
        except DatabaseUnavailable as err:
            # keep the last numbers, and say the database is down rather than fail the scrape
            log.warning("metrics: %s", err)
            DATABASE_UP.set(0)
            return
        self._read_at = now
        DATABASE_UP.set(1)
        for status in RunStatus:
            RUNS.labels(status=status.value).set(counts.get(status.value, 0))
        QUEUE_DEPTH.set(counts.get(RunStatus.QUEUED.value, 0))


def exposition() -> bytes:
    return generate_latest(REGISTRY)
