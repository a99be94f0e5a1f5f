"""Autopilot trust: how many approved runs of one plan shape a team has seen succeed.

One row per (team, plan shape, rule set). A success adds one; a failure resets the count to
zero, which revokes autopilot for that shape until it is earned again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.tables import utcnow
from bot.store.types import UTCDateTime


class AutopilotRecordRow(SQLModel, table=True):
    __tablename__ = "autopilot_trust"
    __table_args__ = (UniqueConstraint("team_key", "shape", name="uq_autopilot_trust"),)

    id: int | None = Field(default=None, primary_key=True)
    team_key: str = Field(max_length=200)  # platform:team
    shape: str = Field(max_length=64)  # sha256 of the plan's actions and argument shapes
    successes: int = 0
    failures: int = 0  # lifetime count, for the audit trail; successes is what earns trust
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def successes(session: AsyncSession, team_key: str, shape: str) -> int:
    row = await _row(session, team_key, shape)
    return row.successes if row else 0


async def record(session: AsyncSession, team_key: str, shape: str, *, succeeded: bool) -> int:
    """Count one finished run; returns the successes before this one (to tell a revocation)."""
    row = await _row(session, team_key, shape, for_update=True)
    if row is None:
        row = AutopilotRecordRow(team_key=team_key, shape=shape)
    before = row.successes
    if succeeded:
        row.successes += 1
    else:
        row.successes = 0
        row.failures += 1
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()
    return before


async def _row(session: AsyncSession, team_key: str, shape: str, *,
               for_update: bool = False) -> AutopilotRecordRow | None:
    query = select(AutopilotRecordRow).where(AutopilotRecordRow.team_key == team_key, AutopilotRecordRow.shape == shape)
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).first()
