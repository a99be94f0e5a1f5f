"""Runs and step results: claiming work, recording every step, finishing a run.

Workers claim with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite ignores the clause: a
claim there is written only while the run is still claimable) and hold a lease they renew; a run whose lease expired is claimable
again, which is how a crashed worker's run is resumed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, insert, or_, text, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import RunStatus, StepStatus
from bot.store import audit
from bot.store.database import execute_plain
from bot.store.parents import team_of_goal
from bot.store.plain_tx import PlainTx
from bot.store.tables import GoalRow, RunRow, StepResultRow, utcnow
from bot.store.team_scope import team_of, team_of_new_row

# the runs a worker may claim; also the condition of the ix_runs_open partial index
OPEN_RUNS = "runs.status IN ('queued', 'running')"
# reads of a claimable run that another worker claimed first, before a claim gives up
CLAIM_TRIES = 5
# the plain statements of every step (bot/execution/steps.py), built once with bound
# parameters; a team's session runs the form that also names its team
_RUNS: Table = RunRow.__table__  # type: ignore[attr-defined]
_STEPS: Table = StepResultRow.__table__  # type: ignore[attr-defined]
_RENEW = (update(_RUNS)
          .where(_RUNS.c.id == bindparam("b_run"), _RUNS.c.claimed_by == bindparam("b_worker"),
                 _RUNS.c.status == RunStatus.RUNNING.value)
          .values(lease_until=bindparam("b_until", type_=_RUNS.c.lease_until.type)))
_RENEW_TEAM = _RENEW.where(_RUNS.c.team_key == bindparam("b_team"))
_START = insert(_STEPS)
_FINISH = (update(_STEPS)
           .where(_STEPS.c.run_id == bindparam("b_run"), _STEPS.c.step_id == bindparam("b_step"))
           .values(status=bindparam("b_status", type_=_STEPS.c.status.type),
                   result=bindparam("b_result", type_=_STEPS.c.result.type),
                   error=bindparam("b_error", type_=_STEPS.c.error.type),
                   finished_at=bindparam("b_at", type_=_STEPS.c.finished_at.type)))
_FINISH_TEAM = _FINISH.where(_STEPS.c.team_key == bindparam("b_team"))
# a read step after its call, on PostgreSQL: the lease renewed and the step recorded in one
# statement (the INSERT selects the run's id from the UPDATE's RETURNING: nothing is inserted
# when the run is no longer this worker's)
_READ_COLUMNS = ("team_key", "step_id", "action", "idempotency_key", "status", "attempts", "args",
                 "result", "error", "started_at", "finished_at")
# The UPDATE also takes the lock of the audit chain the step's record goes to (its RETURNING
# calls the lock for the run's row, so only when the run is still ours): the append that
# follows in the transaction takes it with no statement of its own
def _renew_and_record_read(lock: bool) -> Any:
    returning = (_RUNS.c.id, audit.LOCK_CHAIN_POSTGRESQL.label("locked")) if lock else (_RUNS.c.id,)
    renewed = _RENEW_TEAM.returning(*returning).cte("renewed")
    return insert(_STEPS).from_select(["run_id", *_READ_COLUMNS], select(
        renewed.c.id, *(bindparam(f"v_{name}", type_=_STEPS.c[name].type) for name in _READ_COLUMNS)))


_RENEW_AND_RECORD_READ = _renew_and_record_read(lock=False)
_RENEW_LOCK_AND_RECORD_READ = _renew_and_record_read(lock=True)


async def create_run(session: AsyncSession, goal_id: int, version_id: int) -> tuple[RunRow, bool]:
    """The run of this version, and whether it was created now (False: it already existed)."""
    existing = (await session.exec(select(RunRow).where(RunRow.plan_version_id == version_id))).first()
    if existing is not None:
        return existing, False
    run = RunRow(team_key=await team_of_goal(session, goal_id), goal_id=goal_id, plan_version_id=version_id,
                 status=RunStatus.QUEUED)
    session.add(run)
    await session.flush()
    return run, True


async def claim_next(session: AsyncSession, worker_id: str, lease_seconds: float,
                     now: datetime | None = None) -> RunRow | None:
    now = now or utcnow()
    claimable = or_(
        col(RunRow.status) == RunStatus.QUEUED,
        and_(col(RunRow.status) == RunStatus.RUNNING, col(RunRow.lease_until) < now),
    )
    # the partial index's condition written out with its literals (bound parameters would not
    # match it), so SQLite, whose planner proves less than PostgreSQL's, walks ix_runs_open
    # too, never the finished runs
    open_run = text(OPEN_RUNS)
    query = (select(RunRow).where(open_run, claimable).order_by(col(RunRow.id)).limit(1)
             .with_for_update(skip_locked=True))
    until = now + timedelta(seconds=lease_seconds)
    for _ in range(CLAIM_TRIES):
        run = (await session.exec(query)).first()
        if run is None:
            return None
        # the claim is written only if the run is still claimable: on SQLite (no row locks)
        # another process may have read the same run as queued and claimed it since our read;
        # a plain UPDATE by id would take it too, and both workers would execute it
        taken = await session.exec(
            update(RunRow).where(col(RunRow.id) == run.id, claimable)
            .values(status=RunStatus.RUNNING, claimed_by=worker_id, lease_until=until,
                    started_at=func.coalesce(col(RunRow.started_at), now))
            .execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            for name, value in (("status", RunStatus.RUNNING), ("claimed_by", worker_id),
                                ("lease_until", until), ("started_at", run.started_at or now)):
                set_committed_value(run, name, value)
            return run
    return None  # each run read was taken first: the next poll looks again


async def renew_lease(session: AsyncSession | PlainTx, run_id: int, worker_id: str, lease_seconds: float) -> bool:
    """Extend our claim; False when the run is no longer ours (cancelled or taken over).
    One plain UPDATE, of the session's team's run: it runs in every step's transactions
    (bot/execution/steps.py)."""
    team = team_of(session)
    params = {"b_run": run_id, "b_worker": worker_id, "b_until": utcnow() + timedelta(seconds=lease_seconds)}
    if team is not None:
        params["b_team"] = team
    renewed = await execute_plain(session, _RENEW if team is None else _RENEW_TEAM, params)
    return bool(renewed.rowcount == 1)


async def step_results(session: AsyncSession, run_id: int) -> dict[str, StepResultRow]:
    rows = await session.exec(select(StepResultRow).where(StepResultRow.run_id == run_id))
    return {r.step_id: r for r in rows}


async def start_step(session: AsyncSession, run_id: int, step_id: str, action: str,
                     key: str, args: Any, *, fresh: bool = False) -> None:
    """Record the step as *started* (attempt one more). ``fresh``: the caller knows the step
    has no row yet: one plain INSERT, stamped with the session's team as the unit of work
    would (it is not looked for; the unique key on (run, step) refuses a second one)."""
    now = utcnow()
    if fresh:
        await execute_plain(session, _START, {
            "team_key": team_of_new_row(session), "run_id": run_id, "step_id": step_id, "action": action,
            "idempotency_key": key, "status": StepStatus.STARTED.value, "attempts": 1, "args": args,
            "result": None, "error": "", "started_at": now})
        return
    row = (await session.exec(select(StepResultRow).where(
        StepResultRow.run_id == run_id, StepResultRow.step_id == step_id))).first()
    if row is None:
        row = StepResultRow(run_id=run_id, step_id=step_id, action=action, idempotency_key=key,
                            status=StepStatus.STARTED)
    row.status = StepStatus.STARTED
    row.args = args
    row.attempts += 1
    row.started_at = now
    session.add(row)
    await session.flush()


async def renew_and_record_read(session: AsyncSession | PlainTx, run_id: int, worker_id: str, lease_seconds: float,
                                step_id: str, action: str, key: str, args: Any, result: Any,
                                started_at: datetime, *, fresh: bool, lock_chain: bool = False,
                                chain: str | None = None) -> bool:
    """The run's lease renewed and a read step recorded (``record_read``); False, with nothing
    recorded, when the run is no longer this worker's. On PostgreSQL a fresh step's is one
    statement, which with ``lock_chain`` also locks the audit chain ``chain`` (a team, or
    None: the system's) that this transaction appends to next; otherwise two."""
    team = team_of(session)
    if fresh and team is not None and session.bind is not None and session.bind.dialect.name == "postgresql":
        values = {"team_key": team, "step_id": step_id, "action": action, "idempotency_key": key,
                  "status": StepStatus.SUCCEEDED.value, "attempts": 1, "args": args, "result": result,
                  "error": "", "started_at": started_at, "finished_at": utcnow()}
        done = await execute_plain(session, _RENEW_LOCK_AND_RECORD_READ if lock_chain else _RENEW_AND_RECORD_READ, {
            "b_run": run_id, "b_worker": worker_id, "b_team": team, "b_chain": chain or audit.SYSTEM,
            "b_until": utcnow() + timedelta(seconds=lease_seconds),
            **{f"v_{name}": value for name, value in values.items()}})
        if done.rowcount != 1:
            return False  # nothing locked either: the UPDATE found no run of ours
        if lock_chain:
            audit.chain_locked(session, chain)
        return True
    if not await renew_lease(session, run_id, worker_id, lease_seconds):
        return False
    await record_read(session, run_id, step_id, action, key, args, result, started_at, fresh=fresh)
    return True


async def record_read(session: AsyncSession | PlainTx, run_id: int, step_id: str, action: str, key: str,
                      args: Any, result: Any, started_at: datetime, *, fresh: bool) -> None:
    """Record a read step that has run, start and end at once (a read's start is not
    committed before its call: docs/reliability.md). ``fresh``: the step has no row yet, one
    plain INSERT; else (a run resumed from a row of an earlier attempt) the row is updated."""
    if not fresh:
        assert isinstance(session, AsyncSession), "an earlier attempt's row is updated through the ORM"
        await start_step(session, run_id, step_id, action, key, args)
        await finish_step(session, run_id, step_id, StepStatus.SUCCEEDED, result=result, started=True)
        return
    await execute_plain(session, _START, {
        "team_key": team_of_new_row(session), "run_id": run_id, "step_id": step_id, "action": action,
        "idempotency_key": key, "status": StepStatus.SUCCEEDED.value, "attempts": 1, "args": args,
        "result": result, "error": "", "started_at": started_at, "finished_at": utcnow()})


async def finish_step(session: AsyncSession | PlainTx, run_id: int, step_id: str, status: StepStatus,
                      *, result: Any = None, error: str = "", action: str = "", key: str = "",
                      started: bool = False) -> None:
    """Record how a step ended; a step that failed before it started gets its row here.
    ``started``: the caller recorded the step's start (committed since): one plain UPDATE of
    its row (the session's team's only), without reading it first."""
    now = utcnow()
    if started:
        team = team_of(session)
        params = {"b_run": run_id, "b_step": step_id, "b_status": str(status), "b_result": result,
                  "b_error": error, "b_at": now}
        if team is not None:
            params["b_team"] = team
        done = await execute_plain(session, _FINISH if team is None else _FINISH_TEAM, params)
        if done.rowcount != 1:
            raise LookupError(f"run {run_id} has no started step {step_id} in this session's team")
        return
    assert isinstance(session, AsyncSession), "a step not known started is found through the ORM"
    row = (await session.exec(select(StepResultRow).where(
        StepResultRow.run_id == run_id, StepResultRow.step_id == step_id))).first()
    if row is None:
        row = StepResultRow(run_id=run_id, step_id=step_id, action=action,
                            idempotency_key=key or f"deputy-run{run_id}-{step_id}", status=status)
    row.status = status
    row.result = result
    row.error = error
    row.finished_at = now
    session.add(row)
    await session.flush()


async def finish_run(session: AsyncSession, run_id: int, status: RunStatus, *,
                     error: str = "", failed_step: str | None = None) -> RunRow:
    run = await session.get(RunRow, run_id)
    assert run is not None
    run.status = status
    run.error = error
    run.failed_step = failed_step
    run.finished_at = utcnow()
    run.lease_until = None
    session.add(run)
    await session.flush()
    return run


async def get_run(session: AsyncSession, run_id: int) -> RunRow | None:
    return await session.get(RunRow, run_id)


async def succeeded_calls(session: AsyncSession, since: datetime, until: datetime, *,
                          requester_key: str | None = None,
                          requester_prefix: str | None = None) -> list[tuple[str, Any]]:
    """(action, args) of the steps that succeeded between ``since`` and ``until``, of one
    requester's goals or of every requester whose key starts with ``requester_prefix``
    (a team: ``platform:team:``), for rate limits (bot/policy/ratelimit.py)."""
    query = (select(StepResultRow.action, StepResultRow.args)
             .join(RunRow, col(RunRow.id) == col(StepResultRow.run_id))
             .join(GoalRow, col(GoalRow.id) == col(RunRow.goal_id))
             .where(col(StepResultRow.status) == StepStatus.SUCCEEDED,
                    col(StepResultRow.finished_at) >= since,
                    col(StepResultRow.finished_at) <= until))
    if requester_key is not None:
        query = query.where(col(GoalRow.requester_key) == requester_key)
    if requester_prefix is not None:
        query = query.where(
            func.substr(col(GoalRow.requester_key), 1, len(requester_prefix)) == requester_prefix)
    return [(action, args) for action, args in await session.exec(query)]


async def list_runs(session: AsyncSession, limit: int = 50) -> list[RunRow]:
    return list(await session.exec(select(RunRow).order_by(col(RunRow.id).desc()).limit(limit)))


async def run_for_version(session: AsyncSession, version_id: int) -> RunRow | None:
    return (await session.exec(select(RunRow).where(RunRow.plan_version_id == version_id))).first()


async def runs_of_goal(session: AsyncSession, goal_id: int) -> list[RunRow]:
    return list(await session.exec(select(RunRow).where(RunRow.goal_id == goal_id).order_by(col(RunRow.id))))


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    """How many runs are in each status (one grouped query, for metrics)."""
    rows = await session.exec(select(RunRow.status, func.count()).group_by(col(RunRow.status)))
    return {str(status): int(n) for status, n in rows.all()}
