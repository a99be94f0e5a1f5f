"""Episodes: every finished run, summarised — the goal, what was done, for whom, when, and
how it ended — so "who did we remind last week?" or "when did we last meet Initech?" can be
answered from what Deputy did, not from what someone remembered to teach it.

An episode is written by the run observer when a run ends (``bot/flow/episodes.py``), once
per run; it is Deputy's own record, never a memory a person taught.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.tables import RunRow, StepRow, utcnow
from bot.store.types import UTCDateTime


class EpisodeRow(SQLModel, table=True):
    __tablename__ = "episodes"
    __table_args__ = (Index("ix_episodes_team_finished", "team_key", "finished_at"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(unique=True)
    goal_id: int
    team_key: str = Field(max_length=200)  # platform:team
    channel_id: str = Field(default="", max_length=120)
    requester_key: str = Field(max_length=200)
    goal: str  # as asked
    done: str  # the plan's summary
    actions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    people: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # for whom
    outcome: str = Field(max_length=20)  # succeeded | failed
    finished_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def record(session: AsyncSession, row: EpisodeRow) -> EpisodeRow:
    """Store the episode of a run, once: a second call for the same run returns the first."""
    found = (await session.exec(select(EpisodeRow).where(EpisodeRow.run_id == row.run_id))).first()
    if found is not None:
        return found
    session.add(row)
    await session.flush()
    return row


async def since(session: AsyncSession, team_key: str, start: datetime, limit: int = 500) -> list[EpisodeRow]:
    """The team's episodes that finished at or after ``start``, newest first."""
    query = (select(EpisodeRow).where(EpisodeRow.team_key == team_key, col(EpisodeRow.finished_at) >= start)
             .order_by(col(EpisodeRow.finished_at).desc(), col(EpisodeRow.id).desc()).limit(limit))
    return list((await session.exec(query)).all())


async def visible_since(session: AsyncSession, team_key: str, channel_id: str, actor_key: str,
                        start: datetime, limit: int = 500) -> list[EpisodeRow]:
    """The episodes one person may see or reuse here — the runs of this channel and their own
    runs elsewhere, in their team — that finished at or after ``start``, newest first."""
    query = (select(EpisodeRow).where(
        EpisodeRow.team_key == team_key, col(EpisodeRow.finished_at) >= start,
        or_(col(EpisodeRow.channel_id) == channel_id, col(EpisodeRow.requester_key) == actor_key))
        .order_by(col(EpisodeRow.finished_at).desc(), col(EpisodeRow.id).desc()).limit(limit))
    return list((await session.exec(query)).all())


async def of_runs(session: AsyncSession, team_key: str, run_ids: list[int]) -> list[EpisodeRow]:
    """The episodes of these runs of ``team_key`` (another team's run ids find nothing)."""
    if not run_ids:
        return []
    query = select(EpisodeRow).where(col(EpisodeRow.run_id).in_(sorted(set(run_ids))), EpisodeRow.team_key == team_key)
    return list((await session.exec(query)).all())


async def steps_of_runs(session: AsyncSession, run_ids: list[int]) -> dict[int, list[StepRow]]:
    """The planned steps (as approved) of each run, in order; one query."""
    if not run_ids:
        return {}
    query = (select(RunRow.id, StepRow).join(StepRow, col(StepRow.plan_version_id) == col(RunRow.plan_version_id))
             .where(col(RunRow.id).in_(run_ids)).order_by(col(RunRow.id), col(StepRow.position)))
    found: dict[int, list[StepRow]] = {}
    for run_id, step in (await session.exec(query)).all():
        found.setdefault(int(run_id or 0), []).append(step)
    return found
