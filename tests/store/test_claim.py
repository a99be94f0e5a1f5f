"""A worker's claim stays cheap however many runs have finished: it reads the partial index
of open runs (queued or running), never the finished ones (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import event, text

from bot.domain import RunStatus
from bot.store import runs
from bot.store.database import Database
from bot.store.tables import utcnow

FINISHED = 5_000


async def _runs(db: Database, finished: int, queued: int) -> None:
    """Rows straight into ``runs`` (a worker only reads this table to claim)."""
    async with db.engine.begin() as conn:
        if not db.is_sqlite:
            await conn.execute(text("SET LOCAL session_replication_role = replica"))  # no goals/plans
        else:
            await conn.execute(text("PRAGMA foreign_keys = OFF"))
        await conn.execute(text(
            "INSERT INTO runs (team_key, goal_id, plan_version_id, status, error, created_at) "
            "VALUES ('t', 1, :n, :status, '', :now)"),
            [{"n": n, "status": RunStatus.SUCCEEDED.value if n <= finished else RunStatus.QUEUED.value,
              "now": utcnow()} for n in range(1, finished + queued + 1)])
        if not db.is_sqlite:
            await conn.execute(text("ANALYZE runs"))  # autovacuum would, a moment later


async def test_the_claim_takes_the_oldest_open_run_through_the_open_runs_index(database: Database) -> None:
    await _runs(database, FINISHED, 3)
    sent: list[tuple[str, Any]] = []

    def note(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "FROM runs" in statement:
            sent.append((statement, parameters))

    event.listen(database.engine.sync_engine, "before_cursor_execute", note)
    try:
        async with database.session(all_teams=True) as session:
            run = await runs.claim_next(session, "w1", 30.0)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", note)
    assert run is not None and run.id == FINISHED + 1 and run.status == RunStatus.RUNNING

    # the very statement the claim sent, explained by the database
    [(statement, parameters)] = sent
    async with database.engine.connect() as conn:
        if database.is_sqlite:
            rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)).all()
            plan = " ".join(str(r[-1]) for r in rows)
        else:
            rows = (await conn.exec_driver_sql("EXPLAIN " + statement, parameters)).all()
            plan = " ".join(str(r[0]) for r in rows)
    if database.is_sqlite:
        # without statistics (Deputy never runs ANALYZE) SQLite searches ix_runs_claim by
        # status instead, also reading only the open runs: either way no scan of the table
        assert "SCAN runs" not in plan or "USING INDEX ix_runs_open" in plan, plan
        assert "ix_runs_open" in plan or "SEARCH runs USING INDEX ix_runs_claim" in plan, plan
    else:
        assert "ix_runs_open" in plan, plan


async def test_a_running_run_whose_lease_expired_is_claimed_again(database: Database) -> None:
    await _runs(database, 10, 1)
    async with database.session(all_teams=True) as session:
        first = await runs.claim_next(session, "w1", 30.0)
    assert first is not None
    async with database.session(all_teams=True) as session:
        assert await runs.claim_next(session, "w2", 30.0) is None  # w1's lease holds
        again = await runs.claim_next(session, "w2", 30.0, now=utcnow() + timedelta(seconds=31))
    assert again is not None and again.id == first.id and again.claimed_by == "w2"


async def _claim(db: Database, worker: str) -> Any:
    async with db.session(all_teams=True) as session:
        return await runs.claim_next(session, worker, 30.0)


async def test_a_run_read_by_two_workers_at_once_is_claimed_by_one(database: Database) -> None:
    """Two workers (two processes: each its own engine) look for work at the same moment: w2
    reads the queue while w1's claim is written but not yet committed. SQLite has no row
    locks (``SKIP LOCKED`` is ignored), so w2 reads the run as still queued; its claim must
    then find the run taken, not take it too (both workers ran it, once each: the CI failure
    of test_read_step_chain, 9 runs counted for 8)."""
    await _runs(database, 0, 1)
    other = Database(database.url)
    try:
        async with database.session(all_teams=True) as session:
            first = await runs.claim_next(session, "w1", 30.0)
            assert first is not None
            second = asyncio.create_task(_claim(other, "w2"))
            await asyncio.sleep(0.5)  # w2 has read the queue (and, on SQLite, waits to write)
        assert await second is None
    finally:
        await other.dispose()
    async with database.session(all_teams=True) as session:
        [run] = (await session.exec(text("SELECT claimed_by, status FROM runs"))).all()  # type: ignore[call-overload]
    assert tuple(run) == ("w1", RunStatus.RUNNING.value)
