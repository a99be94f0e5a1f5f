"""A team Deputy was removed from (Slack app uninstalled, tokens revoked): its open work stops.

Only the goals of the named teams are touched: their queued or running runs are cancelled
(a worker in the middle of one loses its lease renewal and stops before the next step), the
plan versions still waiting for approval are cancelled, and the goals themselves end as
cancelled. Finished goals, and every goal of any other team, are left as they are.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import GoalStatus, PlanStatus, RunStatus
from bot.store.tables import GoalRow, PlanRow, PlanVersionRow, RunRow, utcnow

OPEN_GOALS = (GoalStatus.PLANNING, GoalStatus.WAITING, GoalStatus.RUNNING)
OPEN_RUNS = (RunStatus.QUEUED, RunStatus.RUNNING)


async def cancel_open_work(session: AsyncSession, platform: str, team_ids: Collection[str],
                           reason: str) -> list[int]:
    """Cancel the open goals of these teams (with their runs and waiting versions); their ids."""
    if not team_ids:
        return []
    goals = list((await session.exec(select(GoalRow).where(
        GoalRow.platform == platform, col(GoalRow.team_id).in_(list(team_ids)),
        col(GoalRow.status).in_(OPEN_GOALS)).with_for_update())).all())
    ids = [goal.id for goal in goals if goal.id is not None]
    if not ids:
        return []
    now = utcnow()
    for run in (await session.exec(select(RunRow).where(
            col(RunRow.goal_id).in_(ids), col(RunRow.status).in_(OPEN_RUNS)))).all():
        run.status, run.error, run.finished_at, run.lease_until = RunStatus.CANCELLED, reason, now, None
        session.add(run)
    versions = select(PlanVersionRow).join(PlanRow, col(PlanRow.id) == PlanVersionRow.plan_id).where(
        col(PlanRow.goal_id).in_(ids), PlanVersionRow.status == PlanStatus.PROPOSED)
    for version in (await session.exec(versions)).all():
        version.status = PlanStatus.CANCELLED
        session.add(version)
    for goal in goals:
        goal.status, goal.updated_at = GoalStatus.CANCELLED, now
        session.add(goal)
    await session.flush()
    return ids
