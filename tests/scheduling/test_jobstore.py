"""The batching job store: a round of due jobs moves them all on in one write, and what it
wrote is what the store then answers (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apscheduler.executors.base import BaseExecutor
from apscheduler.job import Job
from sqlalchemy import Engine, event, text

from bot.scheduling.jobstore import BatchingJobStore, BatchingScheduler
from bot.store.database import Database


class Recorder(BaseExecutor):
    """Notes which jobs were handed over, and when; runs nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[str] = []

    def submit_job(self, job: Job, run_times: list[datetime]) -> None:
        self.submitted.append(job.id)

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        raise AssertionError("submit_job is overridden")


def noop() -> None:
    """The jobs' callable (never called: the executor only records)."""


@pytest.fixture
def engine(database: Database) -> Iterator[Engine]:
    engine = database.sync_engine()
    yield engine
    engine.dispose()


def updates_of(engine: Engine, table: str) -> list[int]:
    """Per UPDATE statement sent on the job table: how many rows' parameters it carried."""
    seen: list[int] = []

    def note(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("UPDATE") and table in statement:
            seen.append(len(parameters) if executemany else 1)

    event.listen(engine, "before_cursor_execute", note)
    return seen


async def test_a_round_of_due_jobs_is_moved_on_in_one_write(engine: Engine) -> None:
    table = f"jobs_{uuid.uuid4().hex[:8]}"
    store = BatchingJobStore(engine=engine, tablename=table)
    executor = Recorder()
    scheduler = BatchingScheduler(store=store, event_loop=asyncio.get_running_loop(), timezone=UTC,
                                  executors={"default": executor})
    scheduler.start(paused=True)
    due = datetime.now(UTC) - timedelta(seconds=1)
    for n in range(20):
        scheduler.add_job(noop, "interval", seconds=3600, next_run_time=due, id=f"job-{n}")
    updates = updates_of(engine, table)
    try:
        scheduler.resume()
        for _ in range(200):
            if len(executor.submitted) == 20:
                break
            await asyncio.sleep(0.02)
        assert sorted(executor.submitted) == sorted(f"job-{n}" for n in range(20))
        # one UPDATE carrying the 20 jobs, not 20 transactions of one each
        assert updates == [20]
        with engine.connect() as conn:
            times = conn.execute(text(f"SELECT next_run_time FROM {table}")).scalars().all()
        assert len(times) == 20 and min(times) > due.timestamp() + 3000
        assert all(job.next_run_time > due + timedelta(seconds=3000) for job in scheduler.get_jobs())
    finally:
        scheduler.shutdown(wait=False)
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {table}"))


async def test_a_change_outside_a_round_is_written_at_once(engine: Engine) -> None:
    table = f"jobs_{uuid.uuid4().hex[:8]}"
    store = BatchingJobStore(engine=engine, tablename=table)
    scheduler = BatchingScheduler(store=store, event_loop=asyncio.get_running_loop(), timezone=UTC,
                                  executors={"default": Recorder()})
    scheduler.start(paused=True)
    later = datetime.now(UTC) + timedelta(hours=1)
    try:
        scheduler.add_job(noop, "interval", seconds=3600, next_run_time=later, id="job")
        scheduler.modify_job("job", next_run_time=later + timedelta(hours=1))
        # read through another store on the same table: nothing is kept back in memory
        other = BatchingJobStore(engine=engine, tablename=table)
        other.start(scheduler, "other")
        found = other.lookup_job("job")
        assert found is not None and found.next_run_time == later + timedelta(hours=1)
    finally:
        scheduler.shutdown(wait=False)
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {table}"))
