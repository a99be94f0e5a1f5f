"""The active scheduler: APScheduler's AsyncIOScheduler with its SQLAlchemy job store.

APScheduler 3's job store is synchronous (it queries the database inside the scheduler's
event loop). So the scheduler gets a private event loop on its own thread, and the
blocking job-store calls never stall the shared loop where chat, workers and the async
database live; a due job is handed back to the shared loop to queue its run.

Deliberate choices (docs/monitors.md):
* ``coalesce=True``: a monitor that missed several times during downtime fires once;
* misfire grace (``DEPUTY_SCHEDULER_MISFIRE_GRACE_SECONDS``, default 1 day): a firing
  later than that is dropped (the next regular one comes) rather than posting stale news;
* the ``monitors`` table is the truth; the leader syncs jobs from it every few seconds,
  and on taking over re-queues a firing the dead leader marked done but never queued.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.executors.base import BaseExecutor
from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.scheduling.firing import enqueue_batch, enqueue_firing
from bot.scheduling.jobstore import BatchingJobStore, BatchingScheduler
from bot.scheduling.leader import Leadership, leadership_for
from bot.scheduling.model import Schedule
from bot.scheduling.service import interval_anchor
from bot.scheduling.triggers import latest_fire_time, trigger_for
from bot.store import monitors as store
from bot.store.monitors import MonitorRow, MonitorStatus

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

log = logging.getLogger(__name__)

# firings written per transaction, and transactions in flight at once (SQLite has one writer)
BATCH = 500
LINGER_SECONDS = 0.25
WRITERS = {"sqlite": 1, "postgresql": 4}

Fire = Callable[[int, datetime], Coroutine[Any, Any, Any]]


def job_placeholder(monitor_id: int, revision: int) -> None:
    """The job's callable as stored; :class:`FiringExecutor` never calls it."""
    raise RuntimeError("monitor jobs are executed by FiringExecutor")


class FiringExecutor(BaseExecutor):
    """Hands each due job to the shared loop as (monitor id, scheduled time)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fire: Fire, grace: timedelta) -> None:
        super().__init__()
        self._loop, self._fire, self._grace = loop, fire, grace
        # firings handed to the shared loop and not finished: a clean stop waits for them
        self.pending: set[Future[Any]] = set()

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        scheduled = run_times[-1]  # coalesced: only the latest missed time
        late = datetime.now(UTC) - scheduled
        if late > self._grace:
            log.warning("monitor job %s missed %s by %s (grace %s): skipped", job.id, scheduled, late, self._grace)
            asyncio.get_running_loop().call_soon(self._run_job_success, job.id, [])
            return
        future: Future[Any] = asyncio.run_coroutine_threadsafe(self._fire(int(job.args[0]), scheduled), self._loop)
        self.pending.add(future)
        future.add_done_callback(lambda f: self._finished(job.id, f))

    def _finished(self, job_id: str, future: Future[Any]) -> None:
        self.pending.discard(future)
        error = None if future.cancelled() else future.exception()
        if future.cancelled():
            log.warning("monitor job %s: firing cancelled by shutdown", job_id)
            self._run_job_success(job_id, [])
        elif error is None:
            self._run_job_success(job_id, [])
        else:
            self._run_job_error(job_id, error, error.__traceback__)


class MonitorScheduler:
    def __init__(self, app: Deputy, *, leadership: Leadership | None = None, jobs_table: str = "apscheduler_jobs",
                 sync_seconds: float = 5.0, retry_seconds: float = 3.0,
                 misfire_grace: timedelta = timedelta(days=1)) -> None:
        self.app = app
        self.leadership = leadership or leadership_for(app.database.url)
        self.jobs_table = jobs_table
        self.sync_seconds, self.retry_seconds, self.misfire_grace = sync_seconds, retry_seconds, misfire_grace
        self.leading = asyncio.Event()
        self._scheduler: AsyncIOScheduler | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None
        self._synced_at: datetime | None = None
        self._executor: FiringExecutor | None = None
        self._queue: asyncio.Queue[tuple[int, datetime, asyncio.Future[None]]] = asyncio.Queue()
        self._writers: list[asyncio.Task[None]] = []

    async def run_forever(self) -> None:
        try:
            while True:
                if await self.leadership.acquire():
                    log.info("scheduler: leading")
                    try:
                        await self._lead()
                    finally:
                        await self._stop()
                        await self.leadership.release()
                    log.warning("scheduler: lost leadership; standing by")
                await asyncio.sleep(self.retry_seconds)
        finally:
            await self.leadership.release()

    async def _lead(self) -> None:
        writers = WRITERS["sqlite" if self.app.database.is_sqlite else "postgresql"]
        self._writers = [asyncio.create_task(self._write_batches()) for _ in range(writers)]
        scheduler, loop = await self._start()
        # jobs are loaded while the scheduler is paused, so 10,000 adds do not each
        # trigger a round of due-job queries
        await self.sync(full=True)
        await self.catch_up()
        await _on(loop, scheduler.resume)
        self.leading.set()
        try:
            while await self.leadership.still_held():
                await asyncio.sleep(self.sync_seconds)
                await self.sync(full=False)
        finally:
            self.leading.clear()

    async def _start(self) -> tuple[AsyncIOScheduler, asyncio.AbstractEventLoop]:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        threading.Thread(target=serve, name="deputy-scheduler", daemon=True).start()
        await asyncio.to_thread(ready.wait)
        engine = self.app.database.sync_engine()
        self._executor = FiringExecutor(asyncio.get_running_loop(), self._fire, self.misfire_grace)
        scheduler = BatchingScheduler(
            event_loop=loop, timezone=UTC,
            store=BatchingJobStore(engine=engine, tablename=self.jobs_table),
            executors={"default": self._executor},
            job_defaults={"coalesce": True, "max_instances": 3, "misfire_grace_time": None})
        self._scheduler, self._thread_loop = scheduler, loop
        await _on(loop, lambda: scheduler.start(paused=True))
        return scheduler, loop

    async def _stop(self) -> None:
        scheduler, loop = self._scheduler, self._thread_loop
        self._scheduler = self._thread_loop = None
        if scheduler is None or loop is None:
            return
        # pause first: no job is submitted after this, and no wakeup timer survives the
        # shutdown (APScheduler 3 would otherwise call_later on a loop it has dropped)
        await _on(loop, scheduler.pause)
        await _on(loop, lambda: scheduler.shutdown(wait=False))
        await _on(loop, lambda: None)  # the shutdown itself runs as a loop callback
        loop.call_soon_threadsafe(loop.stop)
        executor = self._executor
        if executor is not None and executor.pending:
            # a firing half-written when we stop would be lost: the job store already
            # moved past its time. Let the in-flight ones commit (they take milliseconds).
            await asyncio.wait([asyncio.wrap_future(f) for f in list(executor.pending)], timeout=10)
        for task in self._writers:
            task.cancel()
        self._writers = []

    async def _fire(self, monitor_id: int, scheduled: datetime) -> None:
        """Called per due job; returns once its firing is committed (in some batch)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((monitor_id, scheduled, done))
        await done

    async def _write_batches(self) -> None:
        """Write firings in batches: whatever is due together goes in one transaction."""
        while True:
            first = await self._queue.get()
            # a short wait gathers the firings due around the same moment into one
            # transaction: a batch costs ~100 ms of round trips whatever its size
            await asyncio.sleep(LINGER_SECONDS)
            batch = [first]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await enqueue_batch(self.app, [(m, t) for m, t, _ in batch])
            except Exception as err:  # noqa: BLE001 - each waiting job gets the error
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(err)
            else:
                for _, _, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def sync(self, *, full: bool) -> int:
        """Make the job store match the monitors table; returns how many jobs changed."""
        scheduler = self._scheduler
        assert scheduler is not None
        started = self.app.clock()
        since = None if full or self._synced_at is None else self._synced_at - timedelta(seconds=30)
        async with self.app.database.session(all_teams=True) as session:
            rows = await store.changed_since(session, since)
        changed = await asyncio.to_thread(_apply_rows, scheduler, rows, full)
        self._synced_at = started
        return changed

    async def catch_up(self) -> int:
        """Queue the firing a dead leader marked done in the job store but never queued."""
        scheduler = self._scheduler
        assert scheduler is not None
        now = datetime.now(UTC)
        async with self.app.database.session(all_teams=True) as session:
            rows = [r for r in await store.all_live(session) if r.status == MonitorStatus.ACTIVE]
        jobs = {j.id: j for j in await asyncio.to_thread(scheduler.get_jobs)}
        queued = 0
        for row in rows:
            job = jobs.get(_job_id(row.id or 0))
            # a job due now or earlier is APScheduler's to fire (coalesced); only a job
            # already moved past ``now`` can hide a firing that was never queued
            if job is None or job.next_run_time is None or job.next_run_time <= now:
                continue
            start = max(t for t in (row.last_scheduled_at, row.activated_at, now - self.misfire_grace) if t)
            missed = latest_fire_time(job.trigger, start, now)
            if missed is not None:
                result = await enqueue_firing(self.app, row.id or 0, missed)
                queued += result.outcome == "queued"
        return queued


def _job_id(monitor_id: int) -> str:
    return f"monitor-{monitor_id}"


def _apply_rows(scheduler: AsyncIOScheduler, rows: list[MonitorRow], full: bool) -> int:
    """Runs on a thread: every call here may block on the job store."""
    changed = 0
    wanted = set()
    known = {j.id: j for j in scheduler.get_jobs()} if full else None
    for row in rows:
        job_id = _job_id(row.id or 0)
        job = known.get(job_id) if known is not None else scheduler.get_job(job_id)
        if row.status != MonitorStatus.ACTIVE:
            if job is not None:
                scheduler.remove_job(job_id)
                changed += 1
            continue
        wanted.add(job_id)
        if job is not None and job.args[1] == row.revision:
            continue
        schedule = Schedule.from_json(row.schedule)
        anchor = interval_anchor(schedule, row.activated_at or datetime.now(UTC))
        scheduler.add_job(job_placeholder, trigger_for(schedule, row.timezone, anchor=anchor),
                          args=(row.id, row.revision), id=job_id, name=row.name[:100],
                          replace_existing=True)
        changed += 1
    if known is not None:
        for job in known.values():
            if job.id not in wanted:
                scheduler.remove_job(job.id)
                changed += 1
    return changed


async def _on(loop: asyncio.AbstractEventLoop, call: Callable[[], object]) -> None:
    """Run ``call`` on the scheduler's thread loop and wait for it."""
    done: Future[None] = Future()

    def run() -> None:
        try:
            call()
        except BaseException as err:  # noqa: BLE001 - handed to the waiting coroutine
            done.set_exception(err)
        else:
            done.set_result(None)

    loop.call_soon_threadsafe(run)
    await asyncio.wrap_future(done)
