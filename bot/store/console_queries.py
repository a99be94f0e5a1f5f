"""What the web console reads (bot/console): a team's waiting plans, its runs with filters, a
run's timeline, its audit records. Every query takes the person's team (platform and team
id) and returns only that team's rows; the console never filters after the fact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import PlanStatus, team_key_of
from bot.store.audit import head_of, in_chain
from bot.store.monitors import MonitorRow
from bot.store.tables import (
    AuditRow,
    GoalRow,
    PlanRow,
    PlanVersionRow,
    RunRow,
    StepRow,
)


@dataclass(frozen=True)
class Team:
    platform: str
    team_id: str

    @property
    def key(self) -> str:
        """The team's key (``slack:T123``): its audit chain's name."""
        return team_key_of(self.platform, self.team_id)

    @property
    def key_prefix(self) -> str:
        """Actor keys of this team start with it (``slack:T123:``)."""
        return f"{self.platform}:{self.team_id}:"


def _of_team(team: Team) -> ColumnElement[bool]:
    # goals written before team_id was stored carry the team only in the requester's key
    return (col(GoalRow.platform) == team.platform) & or_(
        col(GoalRow.team_id) == team.team_id,
        (col(GoalRow.team_id) == "") & col(GoalRow.requester_key).startswith(team.key_prefix))


async def proposed_plans(session: AsyncSession, team: Team, limit: int = 200) -> list[tuple[int, int]]:
    """(plan id, version) of the team's plans whose current version waits for a decision."""
    rows = await session.exec(
        select(PlanRow.id, PlanVersionRow.version)
        .join(PlanVersionRow, (col(PlanVersionRow.plan_id) == col(PlanRow.id))
              & (col(PlanVersionRow.version) == col(PlanRow.current_version)))
        .join(GoalRow, col(GoalRow.id) == col(PlanRow.goal_id))
        .where(col(PlanVersionRow.status) == PlanStatus.PROPOSED, _of_team(team))
        .order_by(col(PlanRow.id).desc()).limit(limit))
    return [(int(p), int(v)) for p, v in rows.all() if p is not None]


@dataclass(frozen=True)
class RunFilter:
    status: str = ""
    requester: str = ""  # part of the requester's key (user id) or display name
    since: datetime | None = None
    until: datetime | None = None
    integration: str = ""  # runs whose plan uses this integration
    limit: int = 50
    before: int | None = None  # runs numbered below this one (the next page: keyset, no OFFSET)


async def team_runs(session: AsyncSession, team: Team, wanted: RunFilter) -> list[tuple[RunRow, GoalRow]]:
    """The team's runs, newest first, narrowed by ``wanted``."""
    query = (select(RunRow, GoalRow).join(GoalRow, col(GoalRow.id) == col(RunRow.goal_id))
             .where(_of_team(team)))
    if wanted.status:
        query = query.where(col(RunRow.status) == wanted.status)
    if wanted.requester:
        query = query.where(col(GoalRow.requester_key).contains(wanted.requester))
    if wanted.since is not None:
        query = query.where(col(RunRow.created_at) >= wanted.since)
    if wanted.until is not None:
        query = query.where(col(RunRow.created_at) < wanted.until)
    if wanted.integration:
        # per run, through the steps' plan_version_id index, newest first: the page stops at
        # its limit (an IN over every step of the integration read all of them on SQLite)
        query = query.where(exists().where(col(StepRow.plan_version_id) == col(RunRow.plan_version_id),
                                           col(StepRow.action).startswith(wanted.integration + ".")))
    if wanted.before is not None:
        query = query.where(col(RunRow.id) < wanted.before)
    query = query.order_by(col(RunRow.id).desc()).limit(wanted.limit)
    return [(run, goal) for run, goal in (await session.exec(query)).all()]


async def team_run(session: AsyncSession, team: Team, run_id: int) -> tuple[RunRow, GoalRow] | None:
    """One run and its goal, when the run belongs to ``team``."""
    found = (await session.exec(
        select(RunRow, GoalRow).join(GoalRow, col(GoalRow.id) == col(RunRow.goal_id))
        .where(col(RunRow.id) == run_id, _of_team(team)))).first()
    return None if found is None else (found[0], found[1])


@dataclass(frozen=True)
class AuditFilter:
    kind: str = ""
    actor: str = ""
    goal_id: int | None = None
    limit: int = 100
    before_seq: int | None = None


async def team_audit(session: AsyncSession, team: Team, wanted: AuditFilter) -> list[AuditRow]:
    """The records of the team's audit chain, newest first."""
    query = select(AuditRow).where(in_chain(team.key))
    if wanted.kind:
        query = query.where(col(AuditRow.kind) == wanted.kind)
    if wanted.actor:
        query = query.where(col(AuditRow.actor_key).contains(wanted.actor))
    if wanted.goal_id is not None:
        query = query.where(col(AuditRow.goal_id) == wanted.goal_id)
    if wanted.before_seq is not None:
        query = query.where(col(AuditRow.seq) < wanted.before_seq)
    query = query.order_by(col(AuditRow.seq).desc()).limit(wanted.limit)
    return list((await session.exec(query)).all())


async def audit_head(session: AsyncSession, team: Team) -> tuple[int, str]:
    """The newest record number of the team's audit chain and its hash (its head): one index
    read, where counting the records would read the whole chain on every page view."""
    last = (await session.exec(select(AuditRow.seq).where(in_chain(team.key))
                               .order_by(col(AuditRow.seq).desc()).limit(1))).first()
    return int(last or 0), await head_of(session, team.key)


async def team_monitors(session: AsyncSession, team: Team, limit: int = 200) -> list[MonitorRow]:
    """The team's monitors (owned by one of its people), newest first."""
    rows = await session.exec(select(MonitorRow).where(col(MonitorRow.owner_key).startswith(team.key_prefix))
                              .order_by(col(MonitorRow.id).desc()).limit(limit))
    return list(rows.all())
