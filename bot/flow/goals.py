"""A new goal, and replies in its thread."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot import metrics
from bot.chat.events import GoalPosted, ThreadReply
from bot.chat.replies import Notice
from bot.domain import GoalStatus, PlanDraft, PlanStatus
from bot.flow.addressing import team_of_thread
from bot.flow.card_refresh import refresh_card
from bot.flow.context import planning_context, within_context
from bot.flow.edits import keep_edits
from bot.flow.goal_redo import finish_latest_version, unfinished_goal
from bot.flow.membership import outsider_reason
from bot.flow.memory_offers import after_answer
from bot.flow.monitor_goals import propose_if_scheduled
from bot.flow.proposals import propose
from bot.flow.suggestions import SUGGESTED
from bot.store import audit, goals
from bot.store import thread as thread_messages
from bot.store.database import Session

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

log = logging.getLogger(__name__)
EXAMPLES = (
    "book a meeting with Alice and Bob next Tuesday at 10am · invoice all clients for last month · "
    "chase overdue invoices"
)
MAX_GOAL_CHARS = 4000


async def on_goal(app: Deputy, event: GoalPosted) -> None:
    text = event.text.strip()
    port = app.port(event.where.platform)
    # a pasted secret never gets here: bot.dispatch refuses it first
    if not text:
        await port.post_private(event.where, event.actor, Notice(
            f"Tell me what you would like done, for example: {EXAMPLES}.", tone="warning"))
        return
    if len(text) > MAX_GOAL_CHARS:
        await port.post_private(event.where, event.actor, Notice(
            f"That goal is {len(text)} characters long; please keep it under {MAX_GOAL_CHARS}.",
            tone="warning"))
        return
    async with app.database.session(team=event.actor.team_key) as session:
        await goals.upsert_actor(session, event.actor)
        goal = await goals.create_goal(session, event.actor, event.where, text, event.event_id)
        if goal is not None:
            await audit.append(session, "goal", actor_key=event.actor.key, goal_id=goal.id,
                               data={"text": text, "channel": event.where.channel_id})
        goal_id = goal.id if goal is not None else None
    if goal_id is None:
        # a goal we already have: a platform's retry is ignored; a redelivery (the process
        # handling it died) finishes what is left of it
        goal_id = await unfinished_goal(app, event) if event.redelivered else None
        if goal_id is None:
            return
    else:
        metrics.GOALS_CREATED.inc()
    thread = await port.open_thread(event.where, text, event.message_id)
    async with app.database.session(team=event.actor.team_key) as session:
        await goals.set_thread(session, goal_id, thread.thread_id)
    if await propose_if_scheduled(app, event, goal_id, text):
        return  # "every Monday at 9 …": a monitor proposal, its schedule read out first
    context = await planning_context(app, event.actor, where=event.where, goal=text)
    outcome = within_context(await app.planner.plan(text, context), context)
    await propose(app, goal_id, outcome, team=event.actor.team_key, reason="planned", author_key=None)


async def on_thread_reply(app: Deputy, event: ThreadReply) -> None:
    text = event.text.strip()
    if not text:
        return
    outsider: str | None = None
    busy = replayed = False
    async with app.database.session(team=await team_of_thread(app, event.where, event.actor)) as session:
        goal = await goals.goal_by_thread(session, event.where)
        if goal is None or goal.id is None:
            return  # not a thread Deputy answered in
        outsider = outsider_reason(goal, event.actor, event.where)
        by_requester = event.actor.key == goal.requester_key
        if outsider is None and goal.status == GoalStatus.RUNNING:
            busy = True
        elif outsider is None:
            await goals.upsert_actor(session, event.actor)
            stored = await thread_messages.add_thread_message(
                session, goal.id, event.actor.label, text, author_key=event.actor.key,
                event_id=event.event_id, status="" if by_requester else SUGGESTED)
            # the platform delivered this reply before (a restart), and it needs no answer now
            replayed = stored is None and await _answered_before(session, goal.id, event)
            if stored is not None:
                await audit.append(session, "thread_reply" if by_requester else "suggestion",
                                   actor_key=event.actor.key, goal_id=goal.id, data={"text": text})
        history = tuple(await thread_messages.thread_history(session, goal.id))
        goal_id, goal_text = goal.id, goal.text
    port = app.port(event.where.platform)
    if outsider is not None or busy:
        await port.post_private(event.where, event.actor, Notice(outsider or (
            "This goal is running now; I will change nothing until it ends. "
            "Use `cancel` to stop it."), tone="warning"))
        return
    if replayed:
        if event.redelivered:  # answered before its process died: but maybe not shown yet
            await finish_latest_version(app, goal_id, event.actor.team_key)
        return
    if not by_requester:
        await _show_suggestion(app, event, goal_id)
        return
    context = await planning_context(app, event.actor, history, where=event.where, goal=goal_text)
    outcome = within_context(await app.planner.plan(goal_text, context), context)
    if isinstance(outcome, PlanDraft):
        async with app.database.session(team=event.actor.team_key) as session:
            versions = await goals.version_drafts(session, goal_id)
        outcome = keep_edits(outcome, versions)
    await propose(app, goal_id, outcome, team=event.actor.team_key, reason=f"changed in thread by {event.actor.label}",
                  author_key=event.actor.key, note=f"Changed after {event.actor.label}'s reply: “{text[:200]}”")
    await after_answer(app, event, goal_id, goal_text, history, outcome)  # [Remember] [No]?


async def _answered_before(session: Session, goal_id: int, event: ThreadReply) -> bool:
    """A reply stored before: answered already, unless it is delivered again because its process
    died mid-way (``redelivered``) before the answer was stored; then it is answered now."""
    if not event.redelivered or event.event_id is None:
        return True
    answered = await thread_messages.answered(session, goal_id, event.event_id)
    if not answered:
        log.info("goal %s: a reply delivered again before it was answered; answering it now", goal_id)
    return answered


async def _show_suggestion(app: Deputy, event: ThreadReply, goal_id: int) -> None:
    async with app.database.session(team=event.actor.team_key) as session:
        plan = await goals.plan_for_goal(session, goal_id)
        view = await goals.load_view(session, plan.id) if plan and plan.id else None
    port = app.port(event.where.platform)
    if view is not None and view.plan.id is not None and view.version.status == PlanStatus.PROPOSED:
        await refresh_card(app, view.plan.id, view.version.version, team=event.actor.team_key)
        text = ("Thanks: your suggestion is shown on the plan. It runs with the accounts of the "
                "person who asked, so it changes the plan only when they or an approver accept it.")
    else:
        text = ("Noted as a suggestion: only the person who asked can change this goal by "
                "replying in its thread.")
    await port.post_private(event.where, event.actor, Notice(text))
