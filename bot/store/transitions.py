"""Status changes decided by a read, written only while what was read still holds.

Deputy's processes (web, planner, worker, scheduler) share one database. On SQLite a read
takes no lock (Python's sqlite3 runs a SELECT outside any transaction and ``FOR UPDATE`` is
ignored), so two processes may both read a plan version as proposed; an UPDATE by id alone
would then let the second overwrite the first (a plan approved and rejected at once, a run
failed by the sweep while a worker executes it). Each change here is one UPDATE whose WHERE
repeats the condition that was read; ``False`` says another process changed the row first,
and the caller says so instead of writing. On PostgreSQL the callers' row locks already
serialise these; the repeated condition costs nothing there.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import ApprovalDecision, GoalStatus, PlanStatus, RunStatus
from bot.store.goals import get_actor
from bot.store.tables import ApprovalRow, GoalRow, PlanVersionRow, RunRow, utcnow


async def move_version(session: AsyncSession, version: PlanVersionRow, to: PlanStatus,
                       *, only_from: Collection[PlanStatus] = (PlanStatus.PROPOSED,)) -> bool:
    """Set ``version``'s status to ``to`` if it is still one of ``only_from``; False (nothing
    written) when another transaction changed it first. One UPDATE, as the ORM's flush was."""
    moved = await session.exec(
        update(PlanVersionRow).where(col(PlanVersionRow.id) == version.id,
                                     col(PlanVersionRow.status).in_([str(s) for s in only_from]))
        .values(status=to).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        return False
    set_committed_value(version, "status", to)
    return True


async def decided_already(session: AsyncSession, version: PlanVersionRow) -> str:
    """What a person is told when the version was decided by someone else since it was read:
    its status now, and who rejected it when a person did."""
    status = (await session.exec(select(PlanVersionRow.status)
                                 .where(col(PlanVersionRow.id) == version.id))).one()
    by = ""
    if status == PlanStatus.REJECTED:
        key = (await session.exec(select(ApprovalRow.approver_key).where(
            col(ApprovalRow.plan_version_id) == version.id,
            col(ApprovalRow.decision) == ApprovalDecision.REJECT))).first()
        actor = await get_actor(session, key) if key else None
        by = f" by {actor.label}" if actor else ""
    elif status == PlanStatus.APPROVED:
        by = " (its approvals were complete)"
    return f"Plan {version.plan_id} version {version.version} was already {status}{by} a moment ago; nothing was changed."


async def fail_queued_run(session: AsyncSession, run: RunRow, error: str) -> bool:
    """Fail ``run`` if it is still queued; False when a worker claimed it since it was read
    (it is running: failing it would leave it executing under a failed status)."""
    now = utcnow()
    failed = await session.exec(
        update(RunRow).where(col(RunRow.id) == run.id, col(RunRow.status) == RunStatus.QUEUED)
        .values(status=RunStatus.FAILED, error=error, failed_step=None, finished_at=now, lease_until=None)
        .execution_options(synchronize_session=False))
    if failed.rowcount != 1:
        return False
    for name, value in (("status", RunStatus.FAILED), ("error", error), ("failed_step", None),
                        ("finished_at", now), ("lease_until", None)):
        set_committed_value(run, name, value)
    return True


async def move_goal(session: AsyncSession, goal: GoalRow, to: GoalStatus, *, only_from: Collection[GoalStatus]) -> bool:
    """Set ``goal``'s status to ``to`` if it is still one of ``only_from``; False (nothing
    written) when another transaction moved it first (the requester cancelled it)."""
    now = utcnow()
    moved = await session.exec(
        update(GoalRow).where(col(GoalRow.id) == goal.id, col(GoalRow.status).in_([str(s) for s in only_from]))
        .values(status=to, updated_at=now).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        return False
    set_committed_value(goal, "status", to)
    set_committed_value(goal, "updated_at", now)
    return True
