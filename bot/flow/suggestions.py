"""Thread replies by people other than the requester are suggestions.

A plan runs with the requester's accounts, so another channel member's reply does not
re-plan it: it is stored as a suggestion, left out of planning, and shown on the plan card
with an "Accept suggestion" button. It re-plans only when the requester or someone else who
may approve the plan accepts it (not the person who suggested it); the version that comes of it is authored by the person who
suggested it, so it needs the requester's own approval too (bot/flow/proposals.py).
"""

from __future__ import annotations

from bot.chat.buttons import ButtonId
from bot.chat.replies import Button
from bot.domain import PlanStatus
from bot.store import thread as thread_messages
from bot.store.goals import PlanView
from bot.store.tables import ThreadMessageRow

SUGGESTED = thread_messages.SUGGESTED
ACCEPTED = "accepted"


def card_extras(view: PlanView, found: ThreadMessageRow | None, requester: str) -> tuple[str, tuple[Button, ...]]:
    """The note line and the Accept button a proposed version's card shows for a suggestion
    (``found``: the goal's newest pending one)."""
    if view.version.status != PlanStatus.PROPOSED or view.goal.id is None or view.plan.id is None:
        return "", ()
    if found is None or found.id is None:
        return "", ()
    line = (f"Suggestion from {found.author}: “{found.text[:200]}”. It changes nothing until "
            f"{requester} (who asked) or an approver accepts it.")
    return line, (Button(str(ButtonId(view.plan.id, found.id, "accept")), "Accept suggestion"),)


