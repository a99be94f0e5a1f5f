"""A team's work in progress, found by the team: its open runs and its active monitors.

Runs are found through their goal's platform and team id, monitors through their owner's
actor key (``platform:team:user`` starts with the team key), so both hold whether or not the
rows carry a ``team_key`` column of their own.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import RunStatus
from bot.store.monitors import MonitorRow, MonitorStatus
from bot.store.tables import GoalRow, RunRow
from bot.store.teams import split_key


async def open_runs(session: AsyncSession, key: str) -> list[RunRow]:
    """The team's queued and running runs, locked for the caller to change."""
    platform, external_id = split_key(key)
    query = (select(RunRow).join(GoalRow, col(GoalRow.id) == col(RunRow.goal_id))
             .where(GoalRow.platform == platform, GoalRow.team_id == external_id,
                    col(RunRow.status).in_([RunStatus.QUEUED, RunStatus.RUNNING]))
             .order_by(col(RunRow.id)).with_for_update(of=RunRow))
    return list((await session.exec(query)).all())


async def active_monitors(session: AsyncSession, key: str) -> list[MonitorRow]:
    """The team's monitors that fire on their schedule, locked for the caller to change."""
    split_key(key)
    owned = col(MonitorRow.owner_key).startswith(f"{key}:", autoescape=True)
    query = (select(MonitorRow).where(owned, MonitorRow.status == MonitorStatus.ACTIVE)
             .order_by(col(MonitorRow.id)).with_for_update())
    return list((await session.exec(query)).all())
