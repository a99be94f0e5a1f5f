"""Executes one claimed run, step by step, and never repeats a write.

Before each call the step is recorded as *started* (committed); after it, as succeeded or
failed. A step found *started* when a run resumes was interrupted by a crash: reads run
again; writes run again only against integrations that honour idempotency keys (they answer
a repeat with the first result); otherwise the step fails as "outcome unknown" rather than
risk a second side effect.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot import metrics
from bot.domain import Actor, Effect, GoalStatus, RunStatus, Step, StepStatus
from bot.errors import DatabaseUnavailable, DeputyError, NotConnected, OutcomeUnknown
from bot.execution.calls import call_action
from bot.planning.refs import ITEM, RefError, lookup, resolve
from bot.policy.ratelimit import rate_limit_problem
from bot.policy.request_facts import facts_of
from bot.registry import CallContext
from bot.store import audit, goals, runs
from bot.store.goals import PlanView
from bot.store.tables import RunRow, StepRow
from bot.vault import oauth

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

log = logging.getLogger(__name__)


class StepFailed(Exception):
    """``check``, for a write whose outcome is unknown, says what a person must look at."""

    def __init__(self, step: StepRow, message: str, check: str = "") -> None:
        super().__init__(message)
        self.step = step
        self.check = check


def what_to_check(step: StepRow, args: Any) -> str:
    shown = json.dumps(args, ensure_ascii=False, default=str)
    shown = shown if len(shown) <= 300 else shown[:299] + "…"
    integration = step.action.split(".", 1)[0]
    return (f"step {step.position} ({step.action} {shown}) may already have happened in "
            f"{integration}. Look there before approving: if it did, take that step out of "
            "this plan, or it will happen twice.")


def idempotency_key(run_id: int, step_id: str, item: int | None = None) -> str:
    base = f"deputy-run{run_id}-{step_id}"
    return base if item is None else f"{base}-{item}"


async def execute_run(app: Deputy, run: RunRow, worker_id: str) -> RunStatus:
    assert run.id is not None
    async with app.database.session() as session:
        view = await goals.view_by_version_id(session, run.plan_version_id)
        assert view is not None
        requester = await goals.get_actor(session, view.goal.requester_key)
        done = await runs.step_results(session, run.id)
    assert requester is not None
    outputs: dict[str, Any] = {
        sid: r.result for sid, r in done.items() if r.status == StepStatus.SUCCEEDED}
    await app.observer.progressed(app, view)
    try:
        for step in view.steps:
            if step.step_id in outputs:
                continue
            if not await _still_ours(app, run.id, worker_id):
                return RunStatus.CANCELLED
            previous = done.get(step.step_id)
            if previous is not None and previous.status == StepStatus.STARTED:
                _check_resumable(app, step, previous.args)
            if not await app.observer.approval_holds(app, run.id, view, step, outputs, requester):
                return RunStatus.CANCELLED  # the writes changed since approval: asked again
            outputs[step.step_id] = await metrics.timed_step(
                step.action, _run_step(app, run.id, view, step, requester, outputs))
            await app.observer.progressed(app, view)
    except StepFailed as failure:
        async with app.database.session() as session:
            await runs.finish_step(session, run.id, failure.step.step_id, StepStatus.FAILED,
                                   error=str(failure), action=failure.step.action,
                                   key=idempotency_key(run.id, failure.step.step_id))
            await runs.finish_run(session, run.id, RunStatus.FAILED, error=str(failure),
                                  failed_step=failure.step.step_id)
            await goals.set_goal_status(session, view.goal, GoalStatus.FAILED)
            await audit.append(session, "run_failed", goal_id=view.goal.id, data={
                "run": run.id, "step": failure.step.step_id, "error": str(failure)})
        await app.observer.finished(app, view, run.id, outputs, failure.step, str(failure),
                                    failure.check)
        return RunStatus.FAILED
    async with app.database.session() as session:
        await runs.finish_run(session, run.id, RunStatus.SUCCEEDED)
        await goals.set_goal_status(session, view.goal, GoalStatus.DONE)
        await audit.append(session, "run_succeeded", goal_id=view.goal.id, data={"run": run.id})
    await app.observer.finished(app, view, run.id, outputs, None, "", "")
    return RunStatus.SUCCEEDED


async def _audit_failed_call(app: Deputy, view: PlanView, run_id: int, step: StepRow, key: str,
                             args: dict[str, Any], error: str) -> None:
    async with app.database.session() as session:
        await audit.append(session, "call_failed", goal_id=view.goal.id, data={
            "run": run_id, "step": step.step_id, "action": step.action, "key": key,
            "args": args, "error": error})


async def _rate_limited(app: Deputy, view: PlanView, step: StepRow, requester: Actor,
                        arg_list: list[Any]) -> str | None:
    """The policy's write rate limit for this step, checked just before its calls."""
    spec = app.registry.spec(step.action)
    if spec is None or spec.effect is Effect.READ or not arg_list:
        return None
    facts = facts_of(view.goal, app.clock())
    async with app.database.session() as session:
        return await rate_limit_problem(
            session, app.policy, Step(id=step.step_id, action=step.action, args=arg_list[0]),
            requester.key, requester.team_id, app.clock(), effect=spec.effect, facts=facts,
            registry=app.registry, calls=len(arg_list), arg_list=arg_list)


async def call_with_credentials(app: Deputy, requester: Actor, action: str, args: dict[str, Any],
                                key: str) -> Any:
    """One call with the requester's own credentials, decrypted here and dropped on return
    (they live only in this frame)."""
    ctx = CallContext(idempotency_key=key, actor=requester, timezone=requester.timezone,
                      credentials=await _credentials(app, requester, action))
    return await call_action(app.registry, app.settings, action, args, ctx)


async def _credentials(app: Deputy, requester: Actor, action: str) -> Mapping[str, str]:
    integration = action.split(".", 1)[0]
    loaded = app.registry.get(integration)
    if loaded is None or not loaded.manifest.credentials:
        return {}
    fields = await app.vault.get(requester.key, integration) if app.vault else None
    if fields is None and loaded.manifest.connection_optional:
        return {}  # e.g. the browser on a public page: no login of theirs to use
    if fields is None:
        raise NotConnected(integration)
    # OAuth: refreshed when about to expire; a failed refresh raises ReconnectNeeded
    provider = oauth.provider_for(app.settings, integration, loaded.manifest.oauth,
                                  loaded.settings) if oauth.is_oauth(fields) else None
    return await oauth.usable_credentials(provider, app.vault, requester.key, integration,
                                          fields, app.clock()) if app.vault else fields


def _check_resumable(app: Deputy, step: StepRow, args: Any) -> None:
    spec = app.registry.spec(step.action)
    loaded = app.registry.get(step.action.split(".", 1)[0])
    if spec is None or spec.effect is Effect.READ:
        return
    if loaded is not None and loaded.manifest.idempotent_writes:
        return
    raise StepFailed(step, str(OutcomeUnknown(
        f"step {step.position} ({step.action}) was interrupted and {step.action.split('.')[0]} "
        "cannot tell whether it happened; it was not sent again. Check it by hand.")),
        check=what_to_check(step, args))


async def _still_ours(app: Deputy, run_id: int, worker_id: str) -> bool:
    async with app.database.session() as session:
        return await runs.renew_lease(session, run_id, worker_id, app.settings.run_lease_seconds)


def _arguments(step: StepRow, outputs: dict[str, Any]) -> list[Any]:
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


async def _run_step(app: Deputy, run_id: int, view: PlanView, step: StepRow, requester: Actor,
                    outputs: dict[str, Any]) -> Any:
    arg_list = _arguments(step, outputs)
    problem = await _rate_limited(app, view, step, requester, arg_list)
    if problem:
        raise StepFailed(step, f"step {step.position} ({step.action}) was not run: {problem}")
    async with app.database.session() as session:
        await runs.start_step(session, run_id, step.step_id, step.action,
                              idempotency_key(run_id, step.step_id),
                              arg_list if step.for_each else arg_list[0])
    results = []
    for index, args in enumerate(arg_list):
        key = idempotency_key(run_id, step.step_id, index if step.for_each else None)
        changed = await app.observer.call_problem(app, run_id, view, step, index, args, requester)
        if changed:
            await _audit_failed_call(app, view, run_id, step, key, args, f"derived values changed: {changed}")
            raise StepFailed(step, f"step {step.position} ({step.action}) was stopped before this call: "
                                   f"{changed}. It was not sent; the plan needs a new approval.")
        try:
            result = await call_with_credentials(app, requester, step.action, args, key)
        except DatabaseUnavailable:
            raise  # not the step's failure: the worker's claim lapses and the run resumes later
        except DeputyError as err:
            await _audit_failed_call(app, view, run_id, step, key, args, str(err))
            check = what_to_check(step, args) if isinstance(err, OutcomeUnknown) else ""
            raise StepFailed(step, f"step {step.position} ({step.action}) failed: {err}",
                             check=check) from err
        except Exception as err:
            # a bug in the integration: its message may hold anything, so show only a reference
            ref = uuid.uuid4().hex[:8]
            log.exception("step %s (%s) raised unexpectedly (ref %s)", step.step_id, step.action, ref)
            raise StepFailed(step, f"step {step.position} ({step.action}) failed with an "
                                   f"unexpected {type(err).__name__} (ref {ref}); see the worker's log") from err
        results.append(result)
        async with app.database.session() as session:
            await audit.append(session, "call", goal_id=view.goal.id, data={
                "run": run_id, "step": step.step_id, "action": step.action, "key": key,
                "args": args, "result": result})
    output: Any = {"results": results} if step.for_each else results[0]
    async with app.database.session() as session:
        await runs.finish_step(session, run_id, step.step_id, StepStatus.SUCCEEDED, result=output)
    return output
