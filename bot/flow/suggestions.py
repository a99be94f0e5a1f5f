"""Thread replies by people other than the requester are suggestions.

A plan runs with the requester's accounts, so another channel member's reply does not
re-plan it: it is stored as a suggestion, left out of planning, and shown on the plan card
with an "Accept suggestion" button. It re-plans only when the requester or someone else who
may approve the plan accepts it (not the person who suggested it); the version that comes of it is authored by the person who
suggested it, so it needs the requester's own approval too (bot/flow/proposals.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.buttons import ButtonId
from bot.chat.events import ButtonPressed
from bot.chat.replies import Button, Notice
from bot.domain import GoalStatus, PlanStatus
from bot.flow.context import planning_context
from bot.flow.membership import outsider_reason
from bot.store import audit, goals
from bot.store import thread as thread_messages
from bot.store.goals import PlanView
from bot.store.tables import ThreadMessageRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

SUGGESTED = thread_messages.SUGGESTED
ACCEPTED = "accepted"


async def pending(app: Deputy, goal_id: int) -> ThreadMessageRow | None:
    """The newest suggestion of a goal nobody has accepted yet."""
    async with app.database.session() as session:
        return await thread_messages.pending_suggestion(session, goal_id)


async def card_extras(app: Deputy, view: PlanView) -> tuple[str, tuple[Button, ...]]:
    """The note line and the Accept button a proposed version's card shows for a suggestion."""
    if view.version.status != PlanStatus.PROPOSED or view.goal.id is None or view.plan.id is None:
        return "", ()
    found = await pending(app, view.goal.id)
    if found is None or found.id is None:
        return "", ()
    from bot.flow.proposals import requester_label

    requester = await requester_label(app, view.goal.requester_key)
    line = (f"Suggestion from {found.author}: “{found.text[:200]}”. It changes nothing until "
            f"{requester} (who asked) or an approver accepts it.")
    return line, (Button(str(ButtonId(view.plan.id, found.id, "accept")), "Accept suggestion"),)


async def on_accept(app: Deputy, event: ButtonPressed, plan_id: int, message_id: int) -> None:
    from bot.flow.approvals import requirement_of
    from bot.flow.proposals import propose

    port = app.port(event.where.platform)

    async def tell(text: str, tone: str = "warning") -> None:
        await port.post_private(event.where, event.actor, Notice(text, tone=tone))

    async with app.database.session() as session:
        view = await goals.load_view(session, plan_id)
        message = await thread_messages.message_for_update(session, message_id)
        if view is None or message is None or message.goal_id != view.goal.id:
            refusal: str | None = "I can't find that suggestion; nothing was changed."
        else:
            refusal = outsider_reason(view.goal, event.actor, event.where)
        if refusal is None and view is not None and message is not None:
            allowed = event.actor.key == view.goal.requester_key or \
                requirement_of(app, view).may_approve(app.policy, event.actor, view.goal.requester_key)[0]
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
            else:
                await thread_messages.set_status(session, message, ACCEPTED)
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
    async with app.database.session() as session:
        suggester = await goals.get_actor(session, author_key) if author_key else None
    context = await planning_context(app, suggester or event.actor, history)
    outcome = await app.planner.plan(view.goal.text, context)
    await propose(app, view.goal.id, outcome,
                  reason=f"suggested by {author} in thread, accepted by {event.actor.label}",
                  author_key=author_key,
                  note=f"Changed after {author}'s suggestion “{text[:200]}” "
                       f"(accepted by {event.actor.label}).")
