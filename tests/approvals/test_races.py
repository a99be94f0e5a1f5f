"""Two processes deciding the same thing at once (web, planner, worker and scheduler are
separate processes on one database, README's Procfile): the second finds it decided and
says so, instead of writing over the first.

Each test holds the first process's change written but not committed (a session of a second
``Database`` on the same URL: another process) while Deputy's own code decides the same
row. On SQLite that code reads the row as it was (no row locks, a SELECT outside any
transaction), then waits for the write lock; its write must repeat what it read. On
PostgreSQL the read's row lock makes it wait and read the first decision instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.adapters.shell.session import local_actor
from bot.chat.replies import CardState
from bot.dispatch import dispatch
from bot.domain import ApprovalDecision, GoalStatus, PlanStatus, RunStatus
from bot.flow.expiry import expire_and_escalate
from bot.policy import load_policy
from bot.store import autopilot_records, goals, runs
from bot.store.autopilot_records import AutopilotRecordRow
from bot.store.database import Database
from bot.store.tables import ApprovalRow, GoalRow, PlanVersionRow, RunRow
from tests.approvals.conftest import click
from tests.approvals.test_expiry import POLICY, proposed_at, remind_chat
from tests.core.conftest import Build

# long enough for the other side to have read the row (and, on SQLite, to wait to write)
READ_MEANWHILE = 0.5


@pytest.fixture
async def other(database: Database) -> AsyncIterator[Database]:
    """The same database, opened by another process."""
    db = Database(database.url)
    yield db
    await db.dispose()


async def _version_and_runs(database: Database) -> tuple[str, list[RunRow]]:
    async with database.session(all_teams=True) as session:
        version = (await session.exec(select(PlanVersionRow))).one()
        return version.status, list(await session.exec(select(RunRow)))


async def test_an_approval_meeting_a_rejection_not_yet_committed_starts_no_run(
        build: Build, database: Database, other: Database, tmp_path: Path) -> None:
    """Dev (the requester) rejects in one process while Julia (finance, the one approval it
    needs) approves in another: Julia's approval read the plan as still proposed."""
    (tmp_path / "p.yaml").write_text(POLICY)
    chat = await remind_chat(build, load_policy(tmp_path / "p.yaml"))
    async with other.session(all_teams=True) as session:
        version = (await session.exec(select(PlanVersionRow))).one()
        goal = (await session.exec(select(GoalRow))).one()
        session.add(ApprovalRow(team_key=version.team_key, plan_version_id=version.id or 0,
                                approver_key=chat.user.key, decision=ApprovalDecision.REJECT,
                                fingerprint=version.fingerprint))
        version.status, goal.status = PlanStatus.REJECTED, GoalStatus.REJECTED
        session.add_all([version, goal])
        await session.flush()
        approving = asyncio.create_task(chat.say("as Julia: approve"))
        await asyncio.sleep(READ_MEANWHILE)
    said = await approving
    assert "already rejected" in said, said
    if database.is_sqlite:  # found by the approval's own write: who rejected it is named
        assert "rejected by Dev a moment ago" in said, said
    assert await _version_and_runs(database) == (PlanStatus.REJECTED, [])


async def test_an_approval_meeting_a_cancel_not_yet_committed_starts_no_run(
        build: Build, database: Database, other: Database, tmp_path: Path) -> None:
    """Dev cancels the goal (`cancel 1`) in one process while Julia's approval, in another,
    completes the quorum: the approval read the goal as waiting. No run may start after Dev
    was told that nothing more will run."""
    (tmp_path / "p.yaml").write_text(POLICY)
    chat = await remind_chat(build, load_policy(tmp_path / "p.yaml"))
    async with other.session(all_teams=True) as session:
        goal = (await session.exec(select(GoalRow))).one()
        goal.status = GoalStatus.CANCELLED  # what `cancel` writes once the plan is approved
        session.add(goal)
        await session.flush()
        approving = asyncio.create_task(chat.say("as Julia: approve"))
        await asyncio.sleep(READ_MEANWHILE)
    said = await approving
    assert "Run 1" not in said, said
    async with database.session(all_teams=True) as session:
        assert (await session.exec(select(GoalRow))).one().status == GoalStatus.CANCELLED
        assert list(await session.exec(select(RunRow))) == []


async def test_a_plan_approved_in_another_process_meanwhile_does_not_expire(
        build: Build, database: Database, other: Database, tmp_path: Path) -> None:
    """The worker's sweep finds the plan 24 h old while Julia's approval, in the web process,
    completes it: the sweep must not reject a plan that is approved (and about to run)."""
    (tmp_path / "p.yaml").write_text(POLICY)
    chat = await remind_chat(build, load_policy(tmp_path / "p.yaml"))
    born = await proposed_at(database)
    julia = local_actor("Julia")
    async with other.session(all_teams=True) as session:
        await goals.upsert_actor(session, julia)
        version = (await session.exec(select(PlanVersionRow))).one()
        session.add(ApprovalRow(team_key=version.team_key, plan_version_id=version.id or 0,
                                approver_key=julia.key, decision=ApprovalDecision.APPROVE,
                                fingerprint=version.fingerprint))
        version.status = PlanStatus.APPROVED
        session.add(version)
        await session.flush()
        sweep = asyncio.create_task(expire_and_escalate(chat.app, born + timedelta(hours=25)))
        await asyncio.sleep(READ_MEANWHILE)
    assert await sweep == 0
    assert await _version_and_runs(database) == (PlanStatus.APPROVED, [])
    assert "Expired" not in chat.card.note


async def test_a_queued_run_a_worker_claims_meanwhile_is_not_timed_out(
        build: Build, database: Database, other: Database) -> None:
    """The sweep finds a run queued for over an hour just as a worker in another process
    claims it: the run is the worker's, running, not failed under it."""
    chat = await remind_chat(build)
    await dispatch(chat.app, click(chat, "approve"))  # queued; no worker in this process
    async with database.session(all_teams=True) as session:
        created = (await session.exec(select(RunRow))).one().created_at
    async with other.session(all_teams=True) as session:
        claimed = await runs.claim_next(session, "w1", 3600.0)
        assert claimed is not None
        sweep = asyncio.create_task(expire_and_escalate(chat.app, created + timedelta(minutes=61)))
        await asyncio.sleep(READ_MEANWHILE)
    assert await sweep == 0
    [run] = (await _version_and_runs(database))[1]
    assert (run.status, run.claimed_by, run.error) == (RunStatus.RUNNING, "w1", "")
    assert chat.card.state is not CardState.FAILED


async def test_a_failure_counted_by_another_worker_meanwhile_still_revokes_autopilot(
        database: Database, other: Database) -> None:
    """Two workers finish runs of one plan shape at once: w1's failure (revoking autopilot)
    is written, not committed, while w2 counts a success from the same read. The failure
    must stand: the success counts after it (1), never on top of the count it revoked (6)."""
    for _ in range(5):
        async with database.session(all_teams=True) as session:
            await autopilot_records.record(session, "shell:local", "shape", succeeded=True)
    async with other.session(all_teams=True) as session:
        assert await autopilot_records.record(session, "shell:local", "shape", succeeded=False) == 5
        success = asyncio.create_task(_count_success(database))
        await asyncio.sleep(READ_MEANWHILE)
    await success
    async with database.session(all_teams=True) as session:
        row = (await session.exec(select(AutopilotRecordRow))).one()
    assert (row.successes, row.failures) == (1, 1)


async def _count_success(database: Database) -> int:
    async with database.session(all_teams=True) as session:
        return await autopilot_records.record(session, "shell:local", "shape", succeeded=True)
