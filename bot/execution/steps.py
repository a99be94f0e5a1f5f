"""One step of a run: its arguments resolved, the policy's rate limit, a write step recorded
as started, then its calls — the items of a ``for_each`` concurrently (the integration's gate
bounds them), each with its own idempotency key, each audited — and the result recorded.

Results keep the order of the items whatever order the calls finish in. The first failing
call sets the run's ``stop``: no further call is sent, the calls under way finish and are
audited, and the step fails with the first failure in item order.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from bot.domain import Effect, Step, StepStatus
from bot.errors import DatabaseUnavailable, DeputyError, OutcomeUnknown
from bot.execution.basics import (
    LeaseLost,
    RunInProgress,
    StepFailed,
    call_with_credentials,
    idempotency_key,
    what_to_check,
)
from bot.execution.calls import CallStopped
from bot.planning.refs import ITEM, RefError, lookup, resolve
from bot.policy.ratelimit import rate_limit_problem
from bot.policy.request_facts import facts_of
from bot.store import audit, runs
from bot.store.database import Session
from bot.store.plain_tx import PlainTx
from bot.store.tables import StepRow

log = logging.getLogger(__name__)


def arguments(step: StepRow, outputs: dict[str, Any]) -> list[Any]:
    """The arguments of each call of a step (one per item for ``for_each``), references
    resolved against earlier outputs."""
    try:
        if step.for_each:
            items = lookup(step.for_each, outputs)
            if not isinstance(items, list):
                raise StepFailed(step, f"step {step.position}: {step.for_each} is not a list")
            return [resolve(step.args, {**outputs, ITEM: item}) for item in items]
        return [resolve(step.args, outputs)]
    except RefError as err:
        raise StepFailed(step, f"step {step.position}: {err}") from err


async def run_step(run: RunInProgress, step: StepRow) -> Any:
    """A write: two transactions around its calls. Before them (committed before anything
    is sent, so a resume knows the write may have happened) the run's lease is renewed, the
    rate limit checked and the step recorded as started; after them the result, the call's
    audit record (a single call's; each item of a fan-out is audited as it returns) and the
    lease renewal commit together.

    A read: one transaction, after its calls — lease, the step recorded start and end at
    once, audit record. Nothing needs to be known before a read is sent: a crash during it
    leaves no row, and the resume reads again, which changes nothing anywhere (a write that
    uses the read's result starts only after that result is committed). A run found no
    longer this worker's at that transaction records nothing and stops (LeaseLost)."""
    arg_list = arguments(step, run.outputs)
    problem = _not_for_team(run, step)
    if problem:
        raise StepFailed(step, f"step {step.position} ({step.action}) was not run: {problem}")
    key = idempotency_key(run.run_id, step.step_id)
    lease = run.app.settings.run_lease_seconds
    read = _is_read(run, step)
    started_at = run.app.database.clock()  # the store's clock, as its stamps
    if not read:
        await _start_write(run, step, arg_list, key)
    single = len(arg_list) == 1
    results = await _fan_out(run, step, arg_list, None if single else _Audits(run, step))
    output: Any = {"results": results} if step.for_each else results[0]
    fresh = step.step_id not in run.recorded
    # plain statements only, no ORM session; but a read an earlier attempt left a row of is
    # updated through the ORM
    async with run.plain() if fresh or not read else run.session() as session:
        if read:
            ours = await runs.renew_and_record_read(
                session, run.run_id, run.worker_id, lease, step.step_id, step.action, key,
                arg_list if step.for_each else arg_list[0], output, started_at,
                fresh=fresh, lock_chain=single, chain=_chain(run))
        else:  # recorded all the same: the calls happened
            await runs.finish_step(session, run.run_id, step.step_id, StepStatus.SUCCEEDED, result=output,
                                   started=True)
            ours = await runs.renew_lease(session, run.run_id, run.worker_id, lease)
        run.lease_lost |= not ours
        if single:
            # last: the team's audit chain is locked from here to the commit, not longer
            await _audit_call(session, run, step, idempotency_key(
                run.run_id, step.step_id, 0 if step.for_each else None), arg_list[0], results[0])
    if read and not ours:
        # the read happened (and is audited) but the run is another worker's now, or was
        # cancelled: whoever holds it reads again
        raise LeaseLost(f"run {run.run_id} is no longer this worker's")
    run.recorded.add(step.step_id)
    return output


async def _start_write(run: RunInProgress, step: StepRow, arg_list: list[Any], key: str) -> None:
    """The lease renewed, the rate limit checked and the step recorded as started: committed
    before anything is sent."""
    async with run.session() as session:
        if not await runs.renew_lease(session, run.run_id, run.worker_id, run.app.settings.run_lease_seconds):
            run.lease_lost = True
            raise LeaseLost(f"run {run.run_id} is no longer this worker's")
        problem = await _rate_limited(run, session, step, arg_list)
        if problem:
            raise StepFailed(step, f"step {step.position} ({step.action}) was not run: {problem}")
        await runs.start_step(session, run.run_id, step.step_id, step.action, key,
                              arg_list if step.for_each else arg_list[0],
                              fresh=step.step_id not in run.recorded)
    run.recorded.add(step.step_id)


def _is_read(run: RunInProgress, step: StepRow) -> bool:
    spec = run.app.registry.spec(step.action)
    return spec is not None and spec.effect is Effect.READ


async def _fan_out(run: RunInProgress, step: StepRow, arg_list: list[Any],
                   audits: _Audits | None) -> list[Any]:
    """Every call of the step, in item order; concurrent unless the run is sequential.
    ``audits``: where each call is audited as it returns (None: the caller audits it)."""
    if not run.parallel or len(arg_list) == 1:
        outcomes: list[Any] = []
        for index, args in enumerate(arg_list):
            try:
                outcomes.append(await _one_call(run, step, index, args, audits))
            except (StepFailed, CallStopped) as err:
                outcomes.append(err)
                break
    else:
        # gather cancels the calls if this step is cancelled (the worker is stopping)
        outcomes = await asyncio.gather(
            *(_one_call(run, step, i, args, audits) for i, args in enumerate(arg_list)),
            return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, (StepFailed, CallStopped)):
            raise outcome  # the database went away, or a process-level stop: not the step's failure
    failed = next((o for o in outcomes if isinstance(o, StepFailed)), None)
    if failed is None and any(isinstance(o, CallStopped) for o in outcomes):
        done = sum(not isinstance(o, BaseException) for o in outcomes)
        failed = StepFailed(step, f"step {step.position} ({step.action}) was stopped after {done} of "
                                  f"{len(arg_list)} calls, because another step failed; the others "
                                  "were not sent", stopped=True)
    if failed is not None:
        if step.for_each:
            failed.went_through = [{"item": i, "args": args, "result": o}
                                   for i, (args, o) in enumerate(zip(arg_list, outcomes, strict=False))
                                   if not isinstance(o, BaseException)]
        raise failed
    return outcomes


async def _one_call(run: RunInProgress, step: StepRow, index: int, args: Any,
                    audits: _Audits | None) -> Any:
    key = idempotency_key(run.run_id, step.step_id, index if step.for_each else None)
    if run.stop.is_set():
        raise CallStopped(step.action)
    app, view = run.app, run.view
    changed = await app.observer.call_problem(app, run.run_id, view, step, index, args, run.requester)
    if changed:
        run.stop.set()
        await _audit_failed_call(run, step, key, args, f"derived values changed: {changed}")
        raise StepFailed(step, f"step {step.position} ({step.action}) was stopped before this call: "
                               f"{changed}. It was not sent; the plan needs a new approval.")
    try:
        result = await call_with_credentials(app, run.requester, step.action, args, key, stop=run.stop)
    except CallStopped:
        raise
    except DatabaseUnavailable:
        run.stop.set()
        raise  # not the step's failure: the worker's claim lapses and the run resumes later
    except DeputyError as err:
        run.stop.set()
        await _audit_failed_call(run, step, key, args, str(err))
        check = what_to_check(step, args) if isinstance(err, OutcomeUnknown) else ""
        raise StepFailed(step, f"step {step.position} ({step.action}) failed: {err}", check=check) from err
    except Exception as err:
        run.stop.set()
        # a bug in the integration: its message may hold anything, so show only a reference
        ref = uuid.uuid4().hex[:8]
        log.exception("step %s (%s) raised unexpectedly (ref %s)", step.step_id, step.action, ref)
        raise StepFailed(step, f"step {step.position} ({step.action}) failed with an "
                               f"unexpected {type(err).__name__} (ref {ref}); see the worker's log") from err
    if audits is not None:
        await audits.record(key, args, result)
    return result


class _Audits:
    """The audit records of a fan-out's calls, each committed as soon as it returned, in
    groups: calls that return while a group is being committed go together in the next
    transaction, instead of queueing for one transaction each on the run's turn."""

    def __init__(self, run: RunInProgress, step: StepRow) -> None:
        self.run, self.step = run, step
        self._waiting: list[tuple[str, Any, Any]] = []
        self._one_at_a_time = asyncio.Lock()

    async def record(self, key: str, args: Any, result: Any) -> None:
        self._waiting.append((key, args, result))
        async with self._one_at_a_time:
            group, self._waiting = self._waiting, []
            if not group:
                return  # committed with an earlier call's group
            async with self.run.plain() as session:
                for key_, args_, result_ in group:
                    await _audit_call(session, self.run, self.step, key_, args_, result_)


async def _audit_call(session: Session | PlainTx, run: RunInProgress, step: StepRow, key: str, args: Any,
                      result: Any) -> None:
    await audit.append(session, "call", goal_id=run.view.goal.id, team_key=_chain(run), data={
        "run": run.run_id, "step": step.step_id, "action": step.action, "key": key,
        "args": args, "result": result})


def _chain(run: RunInProgress) -> str | None:
    """The audit chain of the run's records: its requester's team's (what audit.append
    derives from the goal, without reading the goal again)."""
    return audit.team_of_actor(run.view.goal.requester_key)


async def _audit_failed_call(run: RunInProgress, step: StepRow, key: str, args: dict[str, Any],
                             error: str) -> None:
    async with run.session() as session:
        await audit.append(session, "call_failed", goal_id=run.view.goal.id, team_key=_chain(run), data={
            "run": run.run_id, "step": step.step_id, "action": step.action, "key": key,
            "args": args, "error": error})


def _not_for_team(run: RunInProgress, step: StepRow) -> str | None:
    """An integration declared for other teams (an MCP server) is never called for this one."""
    team = f"{run.requester.platform}:{run.requester.team_id}"
    if run.app.registry.for_team(team).spec(step.action) is None:
        return f"{step.action.partition('.')[0]} is not available to your team"
    return None


async def _rate_limited(run: RunInProgress, session: Session, step: StepRow,
                        arg_list: list[Any]) -> str | None:
    """The requester's team's policy's write rate limit for this step, checked just before
    its calls."""
    app = run.app
    spec = app.registry.spec(step.action)
    if spec is None or spec.effect is Effect.READ or not arg_list:
        return None
    facts = facts_of(run.view.goal, app.clock())
    return await rate_limit_problem(
        session, await app.policy_of(run.view.goal.requester_key, session),
        Step(id=step.step_id, action=step.action, args=arg_list[0]),
        run.requester.key, run.requester.team_id, app.clock(), effect=spec.effect, facts=facts,
        registry=app.registry, calls=len(arg_list), arg_list=arg_list)
