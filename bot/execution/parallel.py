"""Runs the steps of a plan as their dependencies allow (bot/execution/graph.py): every step
whose inputs are ready starts, up to ``parallel_steps`` at once, and the integrations' gates
bound the calls. One coordinator — this loop — starts steps, so the checks that must happen
before a step starts happen one at a time, in plan order: the run's lease is renewed, and
until the first write has started the approval binding is asked again.

A failure sets the run's ``stop``: no step starts and no call is sent after it; the steps
under way finish (their calls complete and are audited) and every failure is recorded.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from bot import metrics
from bot.execution.basics import LeaseLost, RunInProgress, StepFailed
from bot.execution.graph import dependencies, is_write
from bot.execution.steps import run_step
from bot.store import runs
from bot.store.tables import StepRow

# how long a stopping run waits for its cancelled steps to end (they only roll back)
STOPPING_STEPS_SECONDS = 10.0


@dataclass
class Outcome:
    failures: list[StepFailed] = field(default_factory=list)
    cancelled: bool = False  # the lease was lost, or the approval no longer holds


@dataclass
class _Plan:
    run: RunInProgress
    worker_id: str
    graph: dict[str, set[str]]
    pending: list[StepRow]
    running: dict[asyncio.Task[Any], StepRow] = field(default_factory=dict)
    outcome: Outcome = field(default_factory=Outcome)
    errors: list[BaseException] = field(default_factory=list)
    write_started: bool = False


async def run_plan(run: RunInProgress, worker_id: str, failures: list[StepFailed]) -> Outcome:
    """``failures``: steps found interrupted that cannot be resumed (nothing starts then)."""
    app = run.app
    plan = _Plan(run, worker_id, dependencies(run.view.steps, app.registry),
                 [s for s in run.view.steps if s.step_id not in run.outputs])
    plan.outcome.failures += failures
    if failures:
        run.stop.set()
    try:
        while True:
            await _start_ready(plan)
            if not plan.running:
                break
            finished, _ = await asyncio.wait(plan.running, return_when=asyncio.FIRST_COMPLETED)
            for task in sorted(finished, key=lambda t: plan.running[t].position):
                await _collect(plan, task, plan.running.pop(task))
    except Exception:
        # the coordinator itself failed (the database went away while starting a step): the
        # steps under way finish, as a cut-off call would leave its outcome unknown
        run.stop.set()
        if plan.running:
            await asyncio.wait(plan.running)
            for task in plan.running:  # their failures are recorded by the resume, not here
                if not task.cancelled():
                    task.exception()
        raise
    except BaseException:
        run.stop.set()
        for task in plan.running:
            task.cancel()  # a process-level stop (cancellation): nothing waits for the calls
        if plan.running:
            # but the cancelled steps are let end (their sessions give their connections back)
            # before the stop goes on to close the pools: a step left behind finishes its clean-up
            # against a disposed pool, or as the event loop closes
            await asyncio.wait(plan.running, timeout=STOPPING_STEPS_SECONDS)
        raise
    if plan.errors:
        raise plan.errors[0]  # e.g. the database went away: the run resumes later
    _stuck(plan)
    return plan.outcome


def _ready(plan: _Plan) -> list[StepRow]:
    if plan.run.stop.is_set():
        return []
    room = plan.run.app.settings.parallel_steps - len(plan.running)
    done = plan.run.outputs.keys()
    ready: list[StepRow] = []
    # in plan order, and no further than the room: a run of 100 independent steps looks at
    # one pending step per start, not at all of them
    for step in plan.pending if room > 0 else ():
        if plan.graph[step.step_id] <= done:
            ready.append(step)
            if len(ready) == room:
                break
    return ready


async def _start_ready(plan: _Plan) -> None:
    run = plan.run
    for step in _ready(plan):
        if run.stop.is_set():
            return  # a step started just now already failed: start nothing more
        if not await _may_start(plan, step):
            plan.outcome.cancelled = True
            run.stop.set()
            return
        plan.pending.remove(step)
        plan.write_started |= is_write(run.app.registry, step.action)
        task = asyncio.create_task(metrics.timed_step(step.action, run_step(run, step)))
        plan.running[task] = step


async def _may_start(plan: _Plan, step: StepRow) -> bool:
    """The run is still ours, and (until a write has started) the approval still holds.
    Every step renews the lease in its own first transaction (steps.py); only the check of
    the approval, which may void it, renews it first here."""
    run, app = plan.run, plan.run.app
    if run.lease_lost:
        return False
    if plan.write_started or not is_write(app.registry, step.action):
        return True  # the binding was checked before the first write; a read writes nothing
    async with run.session() as session:
        if not await runs.renew_lease(session, run.run_id, plan.worker_id, app.settings.run_lease_seconds):
            return False
    return await app.observer.approval_holds(app, run.run_id, run.view, step, run.outputs, run.requester)


async def _collect(plan: _Plan, task: asyncio.Task[Any], step: StepRow) -> None:
    run = plan.run
    if task.cancelled():
        plan.errors.append(asyncio.CancelledError())
        return
    error = task.exception()
    if isinstance(error, LeaseLost):
        run.stop.set()
        plan.outcome.cancelled = True
    elif isinstance(error, StepFailed):
        run.stop.set()
        plan.outcome.failures.append(error)
    elif error is not None:
        run.stop.set()
        if not isinstance(error, Exception):
            raise error  # a process-level stop: do not wait for the others
        plan.errors.append(error)
    else:
        run.outputs[step.step_id] = task.result()
        async with run.turn():
            await run.app.observer.progressed(run.app, run.view)


def _stuck(plan: _Plan) -> None:
    """A step left waiting with nothing failed and nothing running waits for a step that
    cannot run (a plan the validator would have refused): fail it rather than succeed."""
    if plan.pending and not plan.run.stop.is_set():
        step = plan.pending[0]
        waits = ", ".join(sorted(plan.graph[step.step_id] - plan.run.outputs.keys()))
        plan.outcome.failures.append(StepFailed(
            step, f"step {step.position} ({step.action}) waits for {waits}, which cannot run"))
