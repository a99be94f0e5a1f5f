"""Executes one claimed run and never repeats a write.

Steps whose inputs do not depend on each other run concurrently (bot/execution/parallel.py,
the graph in graph.py); the items of a ``for_each`` too (steps.py), bounded per integration
(gates.py). Before a write step's calls the step is recorded as *started* (committed); after
them, as succeeded or failed. A step found *started* when a run resumes was interrupted by a
crash: it runs again only against an integration that honours idempotency keys (it answers a
repeat with the first result); otherwise the step fails as "outcome unknown" rather than risk
a second side effect. A read step is recorded once, after its calls (steps.py): one that a
crash interrupted has no row, and runs again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.domain import Effect, GoalStatus, RunStatus, StepStatus
from bot.errors import OutcomeUnknown
from bot.execution.basics import (
    RunInProgress,
    StepFailed,
    call_with_credentials,
    idempotency_key,
    what_to_check,
)
from bot.execution.parallel import run_plan
from bot.store import audit, goals, runs
from bot.store.tables import RunRow, StepResultRow, StepRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

__all__ = ["StepFailed", "call_with_credentials", "execute_run", "idempotency_key", "what_to_check"]

log = logging.getLogger(__name__)


async def execute_run(app: Deputy, run: RunRow, worker_id: str) -> RunStatus:
    assert run.id is not None
    async with app.database.session(team=run.team_key) as session:
        view = await goals.view_by_version_id(session, run.plan_version_id)
        assert view is not None
        requester = await goals.get_actor(session, view.goal.requester_key)
        done = await runs.step_results(session, run.id)
    assert requester is not None
    outputs: dict[str, Any] = {
        sid: r.result for sid, r in done.items() if r.status == StepStatus.SUCCEEDED}
    progress = RunInProgress(app, run.id, view, requester, outputs, worker_id=worker_id,
                             recorded=set(done))
    await app.observer.progressed(app, view)
    outcome = await run_plan(progress, worker_id, _unresumable(app, view.steps, outputs, done))
    if outcome.cancelled:
        return RunStatus.CANCELLED
    in_order = {s.step_id: outputs[s.step_id] for s in view.steps if s.step_id in outputs}
    if outcome.failures:
        first = await _record_failures(progress, outcome.failures)
        await app.observer.finished(app, view, run.id, in_order, first.step, str(first), first.check)
        return RunStatus.FAILED
    async with app.database.session(team=run.team_key) as session:
        await runs.finish_run(session, run.id, RunStatus.SUCCEEDED)
        await goals.set_goal_status(session, view.goal, GoalStatus.DONE)
        await audit.append(session, "run_succeeded", goal_id=view.goal.id, data={"run": run.id})
    await app.observer.finished(app, view, run.id, in_order, None, "", "")
    return RunStatus.SUCCEEDED


async def _record_failures(run: RunInProgress, failures: list[StepFailed]) -> StepFailed:
    """Every failed (or stopped) step recorded; the run fails at the first one in plan order
    that failed itself (a step only stopped because of it comes after)."""
    ordered = sorted(failures, key=lambda f: (f.stopped, f.step.position))
    first = ordered[0]
    view, run_id = run.view, run.run_id
    async with run.session() as session:
        for failure in sorted(failures, key=lambda f: f.step.position):
            # a fan-out's calls that went through before it failed: the re-plan must not repeat them
            await runs.finish_step(session, run_id, failure.step.step_id, StepStatus.FAILED,
                                   result={"went_through": failure.went_through} if failure.went_through else None,
                                   error=str(failure), action=failure.step.action,
                                   key=idempotency_key(run_id, failure.step.step_id))
        await runs.finish_run(session, run_id, RunStatus.FAILED, error=str(first),
                              failed_step=first.step.step_id)
        await goals.set_goal_status(session, view.goal, GoalStatus.FAILED)
        data: dict[str, Any] = {"run": run_id, "step": first.step.step_id, "error": str(first)}
        if len(failures) > 1:
            data["also"] = {f.step.step_id: str(f) for f in ordered[1:]}
        await audit.append(session, "run_failed", goal_id=view.goal.id, data=data)
    return first


def _unresumable(app: Deputy, steps: list[StepRow], outputs: dict[str, Any],
                 done: dict[str, StepResultRow]) -> list[StepFailed]:
    """Steps a crash interrupted (found *started*) that cannot be sent again."""
    failures = []
    for step in steps:
        previous = done.get(step.step_id)
        if step.step_id in outputs or previous is None or previous.status != StepStatus.STARTED:
            continue
        try:
            _check_resumable(app, step, previous.args)
        except StepFailed as failure:
            failures.append(failure)
    return failures


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
