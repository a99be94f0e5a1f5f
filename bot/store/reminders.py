"""Which reminders, escalations and expiries were already sent for a plan version, so a
sweep run by several workers says each thing once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import PlanStatus, RunStatus
from bot.store.parents import team_of_version
from bot.store.tables import PlanVersionRow, RunRow, utcnow
from bot.store.types import TeamScoped, UTCDateTime


class ReminderRow(TeamScoped, table=True):
    __tablename__ = "approval_reminders"
    __table_args__ = (UniqueConstraint("plan_version_id", "kind", name="uq_approval_reminders"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_version_id: int = Field(foreign_key="plan_versions.id", index=True)
    kind: str = Field(max_length=40)  # escalated:<rule>
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def mark_once(session: AsyncSession, version_id: int, kind: str) -> bool:
    """Record that ``kind`` was sent for this version; False when it already was."""
    exists = (await session.exec(select(ReminderRow).where(
        ReminderRow.plan_version_id == version_id, ReminderRow.kind == kind))).first()
    if exists is not None:
        return False
    session.add(ReminderRow(team_key=await team_of_version(session, version_id), plan_version_id=version_id, kind=kind))
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        return False  # another worker's sweep said it first
    return True


async def waiting_versions(session: AsyncSession) -> list[PlanVersionRow]:
    rows = await session.exec(select(PlanVersionRow).where(PlanVersionRow.status == PlanStatus.PROPOSED)
                              .order_by(col(PlanVersionRow.id)))
    return list(rows)


async def queued_before(session: AsyncSession, cutoff: datetime) -> list[RunRow]:
    rows = await session.exec(select(RunRow).where(RunRow.status == RunStatus.QUEUED,
                                                   col(RunRow.created_at) < cutoff)
                              .with_for_update(skip_locked=True))
    return list(rows)
