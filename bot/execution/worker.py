"""A worker: claims queued runs (or runs whose worker died) and executes them."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import uuid
from typing import TYPE_CHECKING

from bot.domain import GoalStatus, RunStatus
from bot.errors import DatabaseUnavailable
from bot.execution.executor import execute_run
from bot.store import audit, goals, runs

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

log = logging.getLogger(__name__)
MAX_OUTAGE_PAUSE = 15.0  # seconds between tries while the database is away


def settle_heap() -> None:
    """Once per process, as its worker loop starts: what start-up left (modules, the app,
    SQLAlchemy's caches; ~100 MB) is collected once and frozen out of the garbage
    collector's sight (``gc.freeze``), so a full collection while runs execute walks only
    what was made since. Unfrozen, one such collection stopped the event loop for 140-220 ms
    in the middle of a run on a loaded machine, 14-55 ms frozen (docs/benchmarks.md, "A read
    step in one transaction")."""
    global _SETTLED
    if _SETTLED:
        return
    _SETTLED = True
    gc.collect()
    gc.freeze()


_SETTLED = False


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(self, app: Deputy, worker_id: str | None = None) -> None:
        self.app = app
        self.id = worker_id or new_worker_id()

    async def run_once(self) -> bool:
        """Claim and execute one run; False when there was nothing to do."""
        # the next queued run of any team; it is then executed in its own team's sessions
        async with self.app.database.session(all_teams=True) as session:
            run = await runs.claim_next(session, self.id, self.app.settings.run_lease_seconds)
        if run is None:
            return False
        log.info("worker %s executing run %s", self.id, run.id)
        try:
            await execute_run(self.app, run, self.id)
        except DatabaseUnavailable:
            raise  # the claim lapses and another try (or worker) resumes the run
        except Exception:
            # a bug must cost one run, not the worker: record it and carry on
            ref = uuid.uuid4().hex[:8]
            log.exception("run %s failed unexpectedly (ref %s)", run.id, ref)
            await self._fail(run.id, run.team_key, f"internal error (ref {ref}); see the worker's log")
        return True

    async def _fail(self, run_id: int | None, team: str, reason: str) -> None:
        if run_id is None:
            return
        async with self.app.database.session(team=team) as session:
            run = await runs.finish_run(session, run_id, RunStatus.FAILED, error=reason)
            goal = await goals.get_goal(session, run.goal_id)
            if goal is not None:
                await goals.set_goal_status(session, goal, GoalStatus.FAILED)
            await audit.append(session, "run_failed", goal_id=run.goal_id,
                               data={"run": run_id, "error": reason})

    async def drain(self) -> int:
        """Execute runs until none is left; returns how many ran."""
        count = 0
        while await self.run_once():
            count += 1
        return count

    async def sweep(self) -> None:
        """Expire waiting plans, escalate, time out stuck runs (the observer: bot/flow/expiry.py)."""
        try:
            await self.app.observer.tick(self.app, self.app.clock())
        except DatabaseUnavailable as err:
            log.warning("worker %s: sweep skipped: %s", self.id, err)
        except Exception:
            # the sweep must never take the worker down; the next one tries again
            log.exception("worker %s: sweep failed", self.id)

    async def run_forever(self) -> None:
        settle_heap()
        wake = self.app.work_available
        polls = 0
        outage = 0  # polls in a row that found the database away
        while True:
            polls += 1
            if (polls - 1) % self.app.settings.sweep_every_polls == 0:
                await self.sweep()
            try:
                busy = await self.run_once()
            except DatabaseUnavailable as err:
                outage += 1
                if outage == 1:  # once per outage, not once per poll
                    log.warning("worker %s: %s; retrying until it is back", self.id, err)
                busy = False
            else:
                if outage:
                    log.warning("worker %s: the database is back after %d tries", self.id, outage)
                outage = 0
            if busy:
                continue
            wake.clear()
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that arrives as the event is set (a run approved as the worker is stopped), and
            # this loop would then never end
            try:
                async with asyncio.timeout(self._pause(outage)):
                    await wake.wait()
            except TimeoutError:
                pass

    def _pause(self, outage: int) -> float:
        """The poll interval, doubled per failed try during an outage (capped): a worker
        fleet must not hammer a database that is trying to come back."""
        poll = self.app.settings.worker_poll_seconds
        return poll if outage == 0 else min(poll * 2 ** min(outage - 1, 5), max(poll, MAX_OUTAGE_PAUSE))
