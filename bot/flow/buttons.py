"""What each button on a card does: approve and reject (bot/flow/approvals.py), Undo,
Accept suggestion, a monitor's buttons, the hint for Modify, [Forget] on a card's "Using:"
line and [Remember]/[No] on a memory proposal (bot/flow/memory_offers.py). Button ids are parsed only
in bot/chat/buttons.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.buttons import BadButton, ButtonId, parse_button
from bot.chat.events import ButtonPressed, CommandInvoked
from bot.chat.replies import Notice
from bot.domain import ApprovalDecision, GoalStatus, PlanDraft, RunStatus
from bot.flow.addressing import where_of
from bot.flow.approvals import decide, private, requirement_of
from bot.flow.card_refresh import refresh_card
from bot.flow.context import planning_context
from bot.flow.membership import outsider_reason
from bot.flow.memory_commands import forget
from bot.flow.memory_offers import on_offer_button
from bot.flow.monitor_commands import manage_monitor
from bot.flow.proposals import propose
from bot.flow.suggestions import ACCEPTED, SUGGESTED
from bot.flow.undo import source_id, undo_steps, window_problem
from bot.store import audit, goals, runs
from bot.store import thread as thread_messages

if TYPE_CHECKING:
    from bot.core.deputy import Deputy


async def on_button(app: Deputy, event: ButtonPressed) -> None:
    try:
        button = parse_button(event.button_id)
    except BadButton:
        await private(app, event, "That button is not one I know; nothing was changed.")
        return
    if button.action == "undo":
        await on_undo(app, event, button)
        return
    if button.action in ("memory-remember", "memory-no"):
        await on_offer_button(app, event, button)  # version: the proposal's id
        return
    if button.action == "memory-forget":
        await on_forget(app, event, button.version)  # version: the memory's id
        return
    if button.action.startswith("monitor-"):
        verb = button.action.removeprefix("monitor-")
        notice = await manage_monitor(app, CommandInvoked(actor=event.actor, where=event.where, name="monitor",
                                                          argument=f"{verb} {button.version}"))
        await private(app, event, notice.text, notice.tone)
        return
    if button.action == "accept":
        await on_accept(app, event, button.plan_id, button.version)  # version: the suggestion's id
        return
    if button.action == "modify":
        await private(app, event, f"To change the plan, reply `modify STEP key=value` "
                                   f"(plan {button.plan_id}, version {button.version}).", "info")
        return
    decision = ApprovalDecision.APPROVE if button.action == "approve" else ApprovalDecision.REJECT
    await decide(app, event, button.plan_id, button.version, decision)


async def on_undo(app: Deputy, event: ButtonPressed, button: ButtonId) -> None:
    port = app.port(event.where.platform)

    async def tell(text: str) -> None:
        await port.post_private(event.where, event.actor, Notice(text, tone="warning"))

    async with app.database.session(team=event.actor.team_key) as session:
        view = await goals.load_view(session, button.plan_id, button.version)
        run = await runs.run_for_version(session, view.version.id) if view and view.version.id else None
        results = await runs.step_results(session, run.id) if run and run.id else {}
    if view is None or run is None or run.id is None or run.status != RunStatus.SUCCEEDED:
        await tell(f"Plan {button.plan_id} version {button.version} has no finished run to undo; "
                   "nothing was changed.")
        return
    outsider = outsider_reason(view.goal, event.actor, event.where)
    if outsider is not None:
        await tell(outsider)
        return
    problem = window_problem(app, run)
    steps = undo_steps(app, view, results)
    if problem or not steps:
        await tell(problem or f"Nothing that run {run.id} did can be undone; nothing was changed.")
        return
    where = where_of(view.goal)
    async with app.database.session(team=event.actor.team_key) as session:
        await goals.upsert_actor(session, event.actor)
        goal = await goals.create_goal(session, event.actor, where, f"Undo run {run.id}: {view.goal.text}",
                                       source_id(run.id))
        if goal is not None:
            await audit.append(session, "undo_requested", actor_key=event.actor.key, goal_id=goal.id,
                               data={"run": run.id, "plan": button.plan_id, "version": button.version})
    if goal is None or goal.id is None:
        await tell(f"Undo of run {run.id} was already asked for; nothing more to do.")
        return
    draft = PlanDraft(summary=f"Undo run {run.id} ({view.version.summary})", steps=steps)
    await propose(app, goal.id, draft, team=event.actor.team_key, reason=f"undo of run {run.id}", author_key=event.actor.key,
                  note=f"Undoes run {run.id} (plan {button.plan_id} v{button.version}); "
                       "the policy decides it like any plan.")


async def on_accept(app: Deputy, event: ButtonPressed, plan_id: int, message_id: int) -> None:
    port = app.port(event.where.platform)

    async def tell(text: str, tone: str = "warning") -> None:
        await port.post_private(event.where, event.actor, Notice(text, tone=tone))

    async with app.database.session(team=event.actor.team_key) as session:
        view = await goals.load_view(session, plan_id)
        message = await thread_messages.message_for_update(session, message_id)
        if view is None or message is None or message.goal_id != view.goal.id:
            refusal: str | None = "I can't find that suggestion; nothing was changed."
        else:
            refusal = outsider_reason(view.goal, event.actor, event.where)
        if refusal is None and view is not None and message is not None:
            policy = await app.policy_of(view.goal.requester_key, session)
            allowed = event.actor.key == view.goal.requester_key or \
                requirement_of(app, policy, view).may_approve(policy, event.actor, view.goal.requester_key)[0]
            if event.actor.key == message.author_key and event.actor.key != view.goal.requester_key:
                refusal = ("You made this suggestion: the person who asked, or another approver, "
                           "must accept it. Nothing was changed.")
            elif not allowed:
                refusal = ("Only the person who asked, or someone who may approve this plan, can "
                           "accept a suggestion. Nothing was changed.")
            elif message.status != SUGGESTED:
                refusal = "That suggestion was already taken up; nothing more to do."
            elif view.goal.status == GoalStatus.RUNNING:
                refusal = "This goal is running now; I will change nothing until it ends."
            elif not await thread_messages.set_status(session, message, ACCEPTED):
                # accepted by someone else since the read (no row lock on SQLite): one re-plan
                refusal = "That suggestion was already taken up a moment ago; nothing more to do."
            else:
                await goals.upsert_actor(session, event.actor)
                await audit.append(session, "suggestion_accepted", actor_key=event.actor.key,
                                   goal_id=view.goal.id, data={"message": message.id,
                                                               "author": message.author_key})
                history = tuple(await thread_messages.thread_history(session, message.goal_id))
                author_key, author, text = message.author_key, message.author, message.text
    if refusal is not None:
        await tell(refusal)
        return
    assert view is not None and view.goal.id is not None
    async with app.database.session(team=event.actor.team_key) as session:
        suggester = await goals.get_actor(session, author_key) if author_key else None
    context = await planning_context(app, suggester or event.actor, history)
    outcome = await app.planner.plan(view.goal.text, context)
    await propose(app, view.goal.id, outcome, team=event.actor.team_key,
                  reason=f"suggested by {author} in thread, accepted by {event.actor.label}",
                  author_key=author_key,
                  note=f"Changed after {author}'s suggestion “{text[:200]}” "
                       f"(accepted by {event.actor.label}).")


async def on_forget(app: Deputy, event: ButtonPressed, memory_id: int) -> None:
    """[Forget #N] on a card's "Using:" line: `forget N`, with its rules (the author or the
    policy's memory keepers, and only a memory visible here); the card then says so."""
    notice = await forget(app, CommandInvoked(actor=event.actor, where=event.where, name="forget",
                                              argument=str(memory_id), event_id=event.event_id))
    await app.port(event.where.platform).post_private(event.where, event.actor, notice)  # audited by id
    if notice.tone != "success":
        return
    async with app.database.session(team=event.actor.team_key) as session:
        goal = await goals.goal_by_thread(session, event.where)
        plan = await goals.plan_for_goal(session, goal.id) if goal is not None and goal.id else None
    if plan is not None and plan.id is not None:
        await refresh_card(app, plan.id, plan.current_version, team=event.actor.team_key)
