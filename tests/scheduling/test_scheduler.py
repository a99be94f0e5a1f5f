"""The APScheduler side: jobs follow the monitors table, and a digest missed during
downtime fires once on return (coalesced), not once per missed time."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import create_engine, text

from bot.app import Deputy
from bot.scheduling import service
from bot.scheduling.model import Schedule
from bot.scheduling.runner import MonitorScheduler
from bot.store import firings
from bot.store.database import sync_url
from bot.store.monitors import MonitorFiringRow
from tests.scheduling.conftest import FINANCE, OWNER, Clock
from tests.scheduling.test_monitors import OVERDUE


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 8.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


async def job_ids(deputy: Deputy, table: str) -> set[str]:
    async with deputy.database.engine.connect() as conn:
        rows = await conn.execute(text(f'SELECT id FROM "{table}"'))
        return {r[0] for r in rows}


async def start(deputy: Deputy, table: str) -> tuple[MonitorScheduler, asyncio.Task[None]]:
    scheduler = MonitorScheduler(deputy, jobs_table=table, sync_seconds=0.2, retry_seconds=0.2)
    task = asyncio.create_task(scheduler.run_forever())
    await asyncio.wait_for(scheduler.leading.wait(), 10)
    return scheduler, task


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


async def test_jobs_follow_pause_resume_and_delete(deputy: Deputy, clock: Clock) -> None:
    clock.now = datetime.now(UTC)
    table = f"jobs_{uuid.uuid4().hex[:8]}"
    row = await service.create_monitor(deputy, OWNER, "Overdue", OVERDUE, Schedule.every(3600), FINANCE)
    assert row.id is not None
    _, task = await start(deputy, table)
    try:
        assert await job_ids(deputy, table) == set()  # proposed: nothing scheduled
        await service.approve(deputy, row.id, OWNER)

        async def scheduled() -> bool:
            return await job_ids(deputy, table) == {f"monitor-{row.id}"}

        async def unscheduled() -> bool:
            return await job_ids(deputy, table) == set()

        await eventually(scheduled)
        await service.pause(deputy, row.id, OWNER)
        await eventually(unscheduled)
        await service.resume(deputy, row.id, OWNER)
        await eventually(scheduled)
        await service.delete(deputy, row.id, OWNER)
        await eventually(unscheduled)
    finally:
        await stop(task)


async def test_a_digest_missed_during_downtime_fires_once_on_return(deputy: Deputy, clock: Clock) -> None:
    clock.now = datetime.now(UTC)
    table = f"jobs_{uuid.uuid4().hex[:8]}"
    row = await service.create_monitor(deputy, OWNER, "Overdue", OVERDUE, Schedule.every(60), FINANCE)
    assert row.id is not None
    await service.approve(deputy, row.id, OWNER)
    _, task = await start(deputy, table)
    await stop(task)
    # the process was down for ten minutes: the stored job was due ten times since
    down_since = datetime.now(UTC) - timedelta(minutes=10, seconds=5)
    engine = create_engine(sync_url(deputy.database.url))
    jobs = SQLAlchemyJobStore(engine=engine, tablename=table)
    jobs.start(SimpleNamespace(timezone=UTC), "default")  # only its time zone is read
    job = jobs.lookup_job(f"monitor-{row.id}")
    assert job is not None
    job._modify(next_run_time=down_since)
    jobs.update_job(job)
    engine.dispose()

    async def firings_now() -> list[MonitorFiringRow]:
        async with deputy.database.session(all_teams=True) as session:
            return await firings.firings_of(session, row.id or 0)

    async def fired() -> bool:
        return len(await firings_now()) >= 1

    async def caught_up() -> bool:
        # APScheduler submits every run of a due job in one pass, then stores its next time:
        # once that is in the future, every firing for the missed times has been handed over
        async with deputy.database.engine.connect() as conn:
            found = await conn.execute(text(f'SELECT next_run_time FROM "{table}" WHERE id = :id'),
                                       {"id": f"monitor-{row.id}"})
            return float(found.scalar_one()) > time.time()

    _, task = await start(deputy, table)
    try:
        await eventually(fired)
        await eventually(caught_up)
    finally:
        await stop(task)  # a clean stop waits for the firings handed over: nothing is in flight
    [firing] = await firings_now()
    # the latest missed time, not the first one
    assert datetime.now(UTC) - firing.scheduled_at < timedelta(seconds=65)
