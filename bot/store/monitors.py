"""Monitors (stored read-only plans fired on a schedule): their tables, and the monitor
rows' repository (firings: bot/store/firings.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import team_of_actor_key
from bot.store.tables import utcnow
from bot.store.types import TeamScoped, UTCDateTime


class MonitorStatus:
    PROPOSED = "proposed"  # waits for approval; never fires
    ACTIVE = "active"
    PAUSED = "paused"
    REJECTED = "rejected"
    DELETED = "deleted"  # kept (soft) so the scheduler sees the change and drops the job


class MonitorRow(TeamScoped, table=True):
    __tablename__ = "monitors"
    __table_args__ = (Index("ix_monitors_target", "platform", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    owner_key: str = Field(foreign_key="actors.key", max_length=200)
    name: str = Field(max_length=200)
    platform: str = Field(max_length=20)
    channel_id: str = Field(max_length=120)
    # PlanDraft as JSON; every step's action has effect read (checked on create and edit)
    plan: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Schedule as JSON: {"kind": "cron", ...fields} or {"kind": "interval", "seconds": n}
    schedule: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    timezone: str = Field(default="UTC", max_length=64)
    condition: str = Field(default="always", max_length=20)
    template: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    follow_up: str = Field(default="", description="Goal text offered when the digest finds something.")
    status: str = Field(default=MonitorStatus.PROPOSED, max_length=20, index=True)
    # bumped on every change the scheduler must apply (schedule, status); the job carries it
    revision: int = 1
    approved_by: str | None = Field(default=None, max_length=200)
    activated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_scheduled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # hash of the outputs of the last digest posted, for the "changed" condition
    last_fingerprint: str = Field(default="", max_length=64)
    last_digest_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class FiringOutcome:
    QUEUED = "queued"
    POSTED = "posted"
    QUIET = "quiet"  # the condition held the digest back
    NO_CREDENTIALS = "no_credentials"
    FAILED = "failed"


class MonitorFiringRow(TeamScoped, table=True):
    __tablename__ = "monitor_firings"
    __table_args__ = (
        UniqueConstraint("monitor_id", "scheduled_at", name="uq_monitor_firings_once"),
        Index("ix_monitor_firings_goal", "goal_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    monitor_id: int = Field(foreign_key="monitors.id", index=True)
    scheduled_at: datetime = Field(sa_type=UTCDateTime)
    enqueued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    manual: bool = False
    goal_id: int | None = Field(default=None, foreign_key="goals.id")
    run_id: int | None = Field(default=None, foreign_key="runs.id")
    outcome: str = Field(default=FiringOutcome.QUEUED, max_length=20)
    detail: str = ""


async def add_monitor(session: AsyncSession, row: MonitorRow) -> MonitorRow:
    """Store a new monitor, in its owner's team unless given one."""
    row.team_key = row.team_key or team_of_actor_key(row.owner_key)
    session.add(row)
    await session.flush()
    return row


async def get_monitor(session: AsyncSession, monitor_id: int, *, for_update: bool = False) -> MonitorRow | None:
    return await session.get(MonitorRow, monitor_id, with_for_update=for_update)


async def touch(session: AsyncSession, row: MonitorRow, *, reschedule: bool) -> None:
    """Save a change; ``reschedule`` bumps the revision so the scheduler re-reads the job."""
    if reschedule:
        row.revision += 1
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()


async def change_if_unchanged(session: AsyncSession, row: MonitorRow, values: dict[str, Any]) -> bool:
    """Write ``values`` to ``row`` (its revision bumped: the scheduler re-reads its job) only
    while its status and revision are still the ones read; False, nothing written, when
    another transaction changed it first (on SQLite a read takes no row lock: a monitor
    approved in one process and rejected or deleted in another). One UPDATE, as ``touch``."""
    values = {**values, "revision": row.revision + 1, "updated_at": utcnow()}
    changed = await session.exec(
        update(MonitorRow).where(col(MonitorRow.id) == row.id, col(MonitorRow.status) == row.status,
                                 col(MonitorRow.revision) == row.revision)
        .values(**values).execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        return False
    for name, value in values.items():
        set_committed_value(row, name, value)
    return True


async def for_channel(session: AsyncSession, platform: str, channel_id: str) -> list[MonitorRow]:
    live = [MonitorStatus.PROPOSED, MonitorStatus.ACTIVE, MonitorStatus.PAUSED]
    rows = await session.exec(select(MonitorRow).where(
        MonitorRow.platform == platform, MonitorRow.channel_id == channel_id,
        col(MonitorRow.status).in_(live)).order_by(col(MonitorRow.id)))
    return list(rows)


async def all_live(session: AsyncSession) -> list[MonitorRow]:
    live = [MonitorStatus.PROPOSED, MonitorStatus.ACTIVE, MonitorStatus.PAUSED]
    rows = await session.exec(select(MonitorRow).where(col(MonitorRow.status).in_(live))
                              .order_by(col(MonitorRow.id)))
    return list(rows)


async def changed_since(session: AsyncSession, since: datetime | None) -> list[MonitorRow]:
    query = select(MonitorRow)
    if since is not None:
        query = query.where(col(MonitorRow.updated_at) >= since)
    return list(await session.exec(query.order_by(col(MonitorRow.id))))


async def monitors_by_id(session: AsyncSession, ids: set[int]) -> dict[int, MonitorRow]:
    rows = await session.exec(select(MonitorRow).where(col(MonitorRow.id).in_(ids)))
    return {row.id: row for row in rows if row.id is not None}


async def set_digested(session: AsyncSession, monitor_id: int, fingerprint: str, at: datetime) -> None:
    """A digest was posted: what it said (to tell a change next time) and when."""
    row = await get_monitor(session, monitor_id, for_update=True)
    assert row is not None
    row.last_fingerprint = fingerprint
    row.last_digest_at = at
    session.add(row)
