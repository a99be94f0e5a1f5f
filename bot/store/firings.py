"""Firings of monitors: one row per (monitor, scheduled time).

A firing row is the dedupe key of the whole scheduling design: one row per (monitor,
scheduled time), created in the same transaction as the goal and run it queues, so a
scheduler that takes over from a dead one can fire a time again without posting twice.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import GoalStatus, PlanDraft, PlanStatus, RunStatus
from bot.store.database import Conflict
from bot.store.goals import StepVerdict
from bot.store.monitors import FiringOutcome, MonitorFiringRow, MonitorRow
from bot.store.tables import GoalRow, PlanRow, PlanVersionRow, RunRow, StepRow, utcnow


async def firing_of_goal(session: AsyncSession, goal_id: int) -> MonitorFiringRow | None:
    return (await session.exec(select(MonitorFiringRow).where(MonitorFiringRow.goal_id == goal_id))).first()


async def firings_of(session: AsyncSession, monitor_id: int) -> list[MonitorFiringRow]:
    rows = await session.exec(select(MonitorFiringRow).where(MonitorFiringRow.monitor_id == monitor_id)
                              .order_by(col(MonitorFiringRow.scheduled_at)))
    return list(rows)


@dataclass(frozen=True)
class QueuedFiring:
    """One firing to write: the monitor's plan becomes an approved version with a queued run."""

    monitor: MonitorRow
    scheduled_at: datetime
    draft: PlanDraft
    verdicts: list[StepVerdict]
    manual: bool
    enqueued_at: datetime
    missing: tuple[str, ...] = ()  # credentials the owner lacks: record, queue no run


_DEFAULTS: dict[type[SQLModel], list[tuple[str, Callable[[], Any]]]] = {}


def _defaults(model: type[SQLModel]) -> list[tuple[str, Callable[[], Any]]]:
    """Each optional column's default as a call, found once per model: pydantic's
    ``get_default`` inspects the factory's signature on every call, which a scheduler
    writing a batch of firings every few hundred milliseconds felt."""
    if model not in _DEFAULTS:
        found: list[tuple[str, Callable[[], Any]]] = []
        for name, field in model.model_fields.items():
            if field.is_required() or name == "id":
                continue
            if field.default_factory is not None:
                found.append((name, field.default_factory))  # type: ignore[arg-type]
            else:
                found.append((name, functools.partial(copy.deepcopy, field.default)))
        _DEFAULTS[model] = found
    return _DEFAULTS[model]


async def _insert(session: AsyncSession, model: type[SQLModel], key: str | None,
                  rows: list[dict[str, Any]]) -> dict[Any, int]:
    """Insert ``rows``; returns ``key`` value → new id (empty when key is None)."""
    table = model.__table__  # type: ignore[attr-defined]
    # columns added later with a default get it here too, as the ORM would give them
    defaults = {name: default() for name, default in _defaults(model)}
    rows = [{**defaults, **row} for row in rows]
    ids: dict[Any, int] = {}
    if not rows:
        return ids
    connection = await session.connection()
    if key is None:
        await connection.execute(insert(table), rows)
        return ids
    # executemany with RETURNING: SQLAlchemy's "insertmanyvalues" sends multi-row INSERTs
    # from one cached compiled statement, and keeps rows in parameter order
    result = await connection.execute(
        insert(table).returning(table.c.id, table.c[key], sort_by_parameter_order=True), rows)
    ids.update({row[1]: row[0] for row in result})
    return ids


async def queue_firings(session: AsyncSession, batch: list[QueuedFiring]) -> list[MonitorFiringRow | None]:
    """Write many firings in one transaction, a few multi-row INSERTs per table (a
    scheduler handing over hundreds of due monitors at once would otherwise spend its time
    on round trips). Returns, per item, its firing row or None when that (monitor,
    scheduled time) was already fired. A concurrent duplicate raises :class:`~bot.store.database.Conflict`:
    the caller then retries item by item."""
    try:
        return await _queue_firings(session, batch)
    except IntegrityError as err:
        raise Conflict(f"monitor firing ({type(err.orig).__name__})") from err


async def _queue_firings(session: AsyncSession, batch: list[QueuedFiring]) -> list[MonitorFiringRow | None]:
    ids = sorted({q.monitor.id for q in batch if q.monitor.id is not None})
    times = sorted({q.scheduled_at for q in batch})
    seen = set((await session.exec(select(MonitorFiringRow.monitor_id, MonitorFiringRow.scheduled_at).where(
        col(MonitorFiringRow.monitor_id).in_(ids), col(MonitorFiringRow.scheduled_at).in_(times)))).all())
    fresh: list[QueuedFiring] = []
    for q in batch:
        key = (q.monitor.id or 0, q.scheduled_at)
        if key not in seen:
            seen.add(key)
            fresh.append(q)
    runnable = [q for q in fresh if not q.missing]
    now = utcnow()
    # Core multi-row INSERT … RETURNING, keyed by a unique column of each row: the ORM
    # would send one INSERT per object on SQLite, and build a model object per row
    goal_ids = await _insert(session, GoalRow, "source_event_id", [dict(
        team_key=q.monitor.team_key, requester_key=q.monitor.owner_key, platform=q.monitor.platform, channel_id=q.monitor.channel_id,
        thread_id=None, source_event_id=f"monitor:{q.monitor.id}:{q.scheduled_at.isoformat()}",
        text=f"monitor {q.monitor.id}: {q.monitor.name}", status=GoalStatus.RUNNING.value, usage={},
        created_at=now, updated_at=now) for q in runnable])
    goal_of = [goal_ids[f"monitor:{q.monitor.id}:{q.scheduled_at.isoformat()}"] for q in runnable]
    plan_ids = await _insert(session, PlanRow, "goal_id", [
        dict(team_key=q.monitor.team_key, goal_id=g, current_version=1, created_at=now)
        for g, q in zip(goal_of, runnable, strict=True)])
    version_ids = await _insert(session, PlanVersionRow, "plan_id", [dict(
        team_key=q.monitor.team_key, plan_id=plan_ids[g], version=1, summary=q.draft.summary, fingerprint=q.draft.fingerprint(),
        status=PlanStatus.APPROVED.value, reason=f"monitor {q.monitor.id}", author_key=None,
        approvals_required=0, requester_may_approve=True, created_at=now)
        for g, q in zip(goal_of, runnable, strict=True)])
    version_of = [version_ids[plan_ids[g]] for g in goal_of]
    run_ids = await _insert(session, RunRow, "plan_version_id", [dict(
        team_key=q.monitor.team_key, goal_id=g, plan_version_id=v, status=RunStatus.QUEUED.value, claimed_by=None, lease_until=None,
        error="", failed_step=None, created_at=now, started_at=None, finished_at=None)
        for g, v, q in zip(goal_of, version_of, runnable, strict=True)])
    await _insert(session, StepRow, None, [dict(
        team_key=q.monitor.team_key, plan_version_id=v, position=n, step_id=step.id, action=step.action, args=step.args,
        for_each=step.for_each, note=step.note, effect=verdict.effect, verdict=verdict.verdict,
        verdict_reason=verdict.reason, rule=verdict.rule)
        for v, q in zip(version_of, runnable, strict=True)
        for n, (step, verdict) in enumerate(zip(q.draft.steps, q.verdicts, strict=True), start=1)])
    by_item = {id(q): (g, run_ids[v]) for q, g, v in zip(runnable, goal_of, version_of, strict=True)}
    firings: dict[int, MonitorFiringRow] = {}
    for q in fresh:
        goal_id, run_id = by_item.get(id(q), (None, None))
        firings[id(q)] = MonitorFiringRow(
            team_key=q.monitor.team_key, monitor_id=q.monitor.id or 0, scheduled_at=q.scheduled_at, enqueued_at=q.enqueued_at,
            manual=q.manual, goal_id=goal_id, run_id=run_id,
            outcome=FiringOutcome.NO_CREDENTIALS if q.missing else FiringOutcome.QUEUED,
            detail=", ".join(q.missing))
    await _insert(session, MonitorFiringRow, None, [
        f.model_dump(exclude={"id"}) for f in firings.values()])
    latest: dict[int, datetime] = {}
    for q in fresh:
        last = q.monitor.last_scheduled_at
        if not q.manual and q.monitor.id is not None and (last is None or q.scheduled_at > last):
            latest[q.monitor.id] = max(q.scheduled_at, latest.get(q.monitor.id, q.scheduled_at))
    if latest:
        # one executemany, not one round trip per monitor
        table = MonitorRow.__table__  # type: ignore[attr-defined]
        statement = (update(table).where(table.c.id == bindparam("monitor_id"))
                     .values(last_scheduled_at=bindparam("moment")))
        connection = await session.connection()
        await connection.execute(statement, [{"monitor_id": m, "moment": t} for m, t in latest.items()])
    await session.flush()
    return [firings.get(id(q)) for q in batch]


async def set_outcome(session: AsyncSession, firing_id: int | None, outcome: str, detail: str) -> None:
    row = await session.get(MonitorFiringRow, firing_id) if firing_id is not None else None
    if row is not None:
        row.outcome, row.detail = outcome, detail
        session.add(row)
