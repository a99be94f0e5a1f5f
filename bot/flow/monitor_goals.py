"""A goal that names a schedule ("every Monday at 9 post the overdue invoices to #finance")
becomes a monitor proposal instead of a one-off plan.

The schedule and target are read out of the goal first (bot.scheduling.phrases), the rest
is planned by the same planner as any goal, and only a read-only plan may become a
monitor: a monitor runs unattended, so a write it wants must be asked for separately and
approved like any plan. The proposal is a PROPOSED monitor row (service.create_monitor)
shown as a plan card; `monitor approve ID` (or the shell's `approve`) activates it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.chat.buttons import monitor_button
from bot.chat.events import GoalPosted
from bot.chat.inert import planner_words
from bot.chat.replies import Button, CardState, Notice, PlanCard, StepLine
from bot.domain import Actor, Effect, GoalStatus, PlanDraft, Where
from bot.errors import UserError
from bot.flow import team_admin
from bot.flow.addressing import where_of
from bot.flow.context import planning_context
from bot.policy import Policy, evaluate_step
from bot.scheduling import service
from bot.scheduling.model import Schedule
from bot.scheduling.phrases import ScheduledGoal, describe, find_schedule
from bot.store import audit, goals
from bot.store.monitors import MonitorRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

CONDITION_WORDS = {"always": "always post", "non_empty": "post only when something is found",
                   "changed": "post only when the result changed"}


async def propose_if_scheduled(app: Deputy, event: GoalPosted, goal_id: int, text: str) -> bool:
    """True when the goal named a schedule and was answered here (card or refusal)."""
    found = find_schedule(text)
    if found is None:
        return False
    async with app.database.session(team=event.actor.team_key) as session:
        goal = await goals.get_goal(session, goal_id)
        assert goal is not None
        thread = where_of(goal)
    port = app.port(event.where.platform)
    message, status = await _propose(app, event, goal_id, found, thread)
    async with app.database.session(team=event.actor.team_key) as session:
        row = await goals.get_goal(session, goal_id, lock=True)
        if row is not None:
            # the goal was to propose the monitor; from here the monitor lives in `monitors`
            await goals.set_goal_status(session, row, status)
    if message is not None:
        await port.post(thread, message)
    return True


async def _propose(app: Deputy, event: GoalPosted, goal_id: int, found: ScheduledGoal,
                   thread: Where) -> tuple[PlanCard | Notice | None, GoalStatus]:
    if not found.remainder:
        return Notice(f"I read “{found.phrase}” as the schedule, but not what to check. "
                      "Say what to look at, e.g. “every Monday at 9 list the overdue invoices”.",
                      tone="warning"), GoalStatus.UNPLANNED
    outcome = await app.planner.plan(found.remainder, await planning_context(app, event.actor))
    if not isinstance(outcome, PlanDraft):
        said = getattr(outcome, "question", None) or getattr(outcome, "message", "")
        return Notice(f"I can't set up that monitor yet: {said} Ask again with the schedule and "
                      "what to check in one message.", tone="warning"), GoalStatus.UNPLANNED
    writes = [s.action for s in outcome.steps
              if (spec := app.registry.spec(s.action)) is None or spec.effect is not Effect.READ]
    if writes:
        return Notice("Monitors only read; ask for the write separately (it then needs approval "
                      f"like any plan). “{found.remainder}” would change things: {', '.join(writes)}.",
                      tone="warning"), GoalStatus.REJECTED
    # a channel named in the request; else the team's digest channel (setup digest); else here
    channel = found.channel or await team_admin.digest_channel(app, event.actor) or event.where.channel_id
    target = Where(platform=event.where.platform, channel_id=channel, team=event.actor.team_key)
    try:
        row = await service.create_monitor(
            app, event.actor, found.remainder[:1].upper() + found.remainder[1:], outcome,
            found.schedule, target, condition=found.condition, follow_up=_follow_up(found.remainder))
    except UserError as err:
        return Notice(f"I can't set up that monitor: {err}", tone="warning"), GoalStatus.REJECTED
    async with app.database.session(team=event.actor.team_key) as session:
        await audit.append(session, "monitor_goal", actor_key=event.actor.key, goal_id=goal_id,
                           data={"monitor": row.id, "phrase": found.phrase})
    policy = await app.policy_of(event.actor.key)
    return monitor_card(app, policy, row, event.actor, goal_id, outcome), GoalStatus.DONE


def _follow_up(remainder: str) -> str:
    """The ready plan a digest offers when it finds something actionable."""
    return "chase overdue invoices" if re.search(r"\b(?:overdue|unpaid|outstanding)\b", remainder, re.I) else ""


def target_label(row: MonitorRow, here: str | None = None) -> str:
    return "this channel" if row.channel_id == here else f"#{row.channel_id}"


def monitor_line(row: MonitorRow) -> str:
    """"every Monday at 09:00 (Europe/London) → #finance, condition non_empty"."""
    return (f"{describe(Schedule.from_json(row.schedule))} ({row.timezone}) → #{row.channel_id}, "
            f"condition {row.condition}")


def monitor_card(app: Deputy, policy: Policy, row: MonitorRow, requester: Actor, goal_id: int,
                 draft: PlanDraft) -> PlanCard:
    """The monitor's card, with the verdicts of ``policy`` (its owner's team's)."""
    assert row.id is not None
    lines = []
    for number, step in enumerate(draft.steps, start=1):
        spec = app.registry.spec(step.action)
        decision = evaluate_step(policy, step, Effect.READ)
        lines.append(StepLine(number=number, step_id=step.id, action=step.action,
                              description=planner_words(step.note, spec.description if spec else step.action),
                              shown_args=dict(step.args), args=dict(step.args), effect=Effect.READ.value,
                              verdict=decision.verdict.value, reason=decision.reason))
    needed = service.requirement(policy, row)
    who = (", ".join(f"@{g}" for g in needed.approvers) if needed.approvers else requester.label)
    note = (f"Monitor: {monitor_line(row)} ({CONDITION_WORDS.get(row.condition, row.condition)}).\n"
            f"It runs with {requester.label}'s connections. Approve: `monitor approve {row.id}` "
            f"(by {who}) · reject: `monitor reject {row.id}`.")
    return PlanCard(goal_id=goal_id, plan_id=0, version=1, goal_text=draft.summary, requester=requester.label,
                    summary=draft.summary, steps=tuple(lines), state=CardState.AWAITING,
                    approvals_required=max(1, needed.approvals), note=note, monitor_id=row.id,
                    buttons=(Button(str(monitor_button(row.id, "approve")), "Approve", "primary"),
                             Button(str(monitor_button(row.id, "reject")), "Reject", "danger")))
