"""What a run tells the thread: the card updated as steps run, a result, a re-plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.chat.replies import RunResult
from bot.domain import Clarification, StepStatus
from bot.flow.addressing import where_of
from bot.flow.answers import leaf_answers, spec_lookup
from bot.flow.card_refresh import refresh_card
from bot.flow.cards import summarise_output
from bot.flow.context import planning_context
from bot.flow.digests import report_monitor_run
from bot.flow.proposals import propose
from bot.planning import ReplanRequest
from bot.registry.attachments import files_of
from bot.store import goals, runs
from bot.store import thread as thread_messages
from bot.store.goals import PlanView
from bot.store.tables import StepRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy


async def report_progress(app: Deputy, view: PlanView) -> None:
    assert view.plan.id is not None
    await refresh_card(app, view.plan.id, view.version.version, team=view.goal.team_key)


async def report_finished(app: Deputy, view: PlanView, run_id: int, outputs: dict[str, Any],
                          failed: StepRow | None, error: str, check: str = "") -> None:
    """``check``: for a write whose outcome is unknown, what to look at before re-running it
    (the re-plan card shows it first)."""
    # a monitor's run answers with a digest in its channel (or nothing), never a RunResult
    if await report_monitor_run(app, view, run_id, outputs, failed, error):
        return
    port = app.port(view.goal.platform)
    assert view.goal.id is not None
    lines = await _step_lines(app, view, run_id, outputs, failed, error)
    answers = leaf_answers(list(view.steps), outputs, spec_lookup(app.registry), run_id)
    files = files_of(app.registry, view.steps, outputs)
    if failed is None:
        result = RunResult(view.goal.id, run_id, True, f"Done: {view.version.summary}", tuple(lines), answers,
                           files)
    else:
        result = RunResult(view.goal.id, run_id, False,
                           f"Stopped at step {failed.position}: {error}", tuple(lines), answers, files)
    await port.post(where_of(view.goal), result)
    if failed is not None:
        await _replan(app, view, run_id, outputs, failed, error, check)


async def _step_lines(app: Deputy, view: PlanView, run_id: int, outputs: dict[str, Any],
                      failed: StepRow | None, error: str) -> list[str]:
    """One line per step in plan order. Steps run in parallel, so besides the one the run
    stopped at others may have failed (or been stopped part-way): each says so."""
    others: dict[str, str] = {}
    if failed is not None:
        async with app.database.session(team=view.goal.team_key) as session:
            results = await runs.step_results(session, run_id)
        others = {sid: r.error for sid, r in results.items() if r.status == StepStatus.FAILED}
    lines = []
    for step in view.steps:
        if step.step_id in outputs:
            detail = summarise_output(outputs[step.step_id])
            lines.append(f"✓ {step.position}. {step.note or step.action}" + (f" — {detail}" if detail else ""))
        elif failed is not None and step.step_id == failed.step_id:
            lines.append(f"✗ {step.position}. {step.note or step.action} — {error}")
        elif step.step_id in others:
            lines.append(f"✗ {step.position}. {step.note or step.action} — {others[step.step_id]}")
        else:
            lines.append(f"· {step.position}. {step.note or step.action} — not run")
    return lines


async def _replan(app: Deputy, view: PlanView, run_id: int, outputs: dict[str, Any], failed: StepRow,
                  error: str, check: str) -> None:
    assert view.goal.id is not None and view.plan.id is not None
    async with app.database.session(team=view.goal.team_key) as session:
        requester = await goals.get_actor(session, view.goal.requester_key)
        history = tuple(await thread_messages.thread_history(session, view.goal.id))
        replans = await goals.count_versions(session, view.plan.id, reason_prefix="re-planned")
        # fan-outs that failed or were stopped part-way: which of their calls went through
        # (executor.py records them as the failed step's result)
        went_through = {sid: r.result["went_through"] for sid, r in (await runs.step_results(session, run_id)).items()
                        if r.status == StepStatus.FAILED and isinstance(r.result, dict) and r.result.get("went_through")}
    assert requester is not None
    if replans >= app.settings.max_replans:
        # a plan that keeps failing is a person's call, not another guess
        await propose(app, view.goal.id, team=view.goal.team_key, outcome=Clarification(question=(
            f"Step {failed.position} failed again ({error[:200]}), after {replans} re-plans. "
            "I will not guess again: what should I do?")),
            reason="asked after repeated failures", author_key=None)
        return
    context = await planning_context(app, requester, history)
    request = ReplanRequest(goal=view.goal.text, plan=view.draft(), completed=outputs,
                            failed_step=failed.step_id, error=error,
                            went_through=went_through)
    outcome = await app.planner.replan(request, context)
    note = f"Proposed after step {failed.position} failed: {error[:200]}"
    if check:
        note = f"Check first: {check}\n{note}"
    await propose(app, view.goal.id, outcome, team=view.goal.team_key, reason=f"re-planned after step {failed.position} failed",
                  author_key=None, note=note)
