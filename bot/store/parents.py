"""The team of a row's parent, for rows a caller makes from an id alone (a run from its goal,
a card from its goal, a preview from its version), so they join their parent's team even in
a session that declared none (bot/store/team_scope.py)."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import LOCAL_TEAM, Where
from bot.store.tables import GoalRow, PlanRow, PlanVersionRow


async def team_of_goal(session: AsyncSession, goal_id: int) -> str:
    team = (await session.exec(select(GoalRow.team_key).where(GoalRow.id == goal_id))).first()
    return team or LOCAL_TEAM


async def team_of_version(session: AsyncSession, version_id: int) -> str:
    team = (await session.exec(select(PlanVersionRow.team_key).where(PlanVersionRow.id == version_id))).first()
    return team or LOCAL_TEAM


async def team_of_plan(session: AsyncSession, plan_id: int) -> str | None:
    return (await session.exec(select(PlanRow.team_key).where(PlanRow.id == plan_id))).first()


async def team_of_thread(session: AsyncSession, where: Where) -> str | None:
    if where.thread_id is None:
        return None
    return (await session.exec(select(GoalRow.team_key).where(
        GoalRow.platform == where.platform, GoalRow.channel_id == where.channel_id,
        GoalRow.thread_id == where.thread_id).order_by(col(GoalRow.id).desc()))).first()
