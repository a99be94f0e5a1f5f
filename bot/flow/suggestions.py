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
from bot.chat.replies import Button
from bot.domain import PlanStatus
from bot.flow.addressing import requester_label
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
    requester = await requester_label(app, view.goal.requester_key)
    line = (f"Suggestion from {found.author}: “{found.text[:200]}”. It changes nothing until "
            f"{requester} (who asked) or an approver accepts it.")
    return line, (Button(str(ButtonId(view.plan.id, found.id, "accept")), "Accept suggestion"),)


