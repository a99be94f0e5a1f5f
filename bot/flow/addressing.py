"""Where a goal's thread is, who asked (by name), and the card line that says who changed
a version: small reads that cards, proposals and reports all need."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.domain import Where, team_of_actor_key
from bot.store import goals
from bot.store.goals import PlanView
from bot.store.tables import GoalRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy


def where_of(goal: GoalRow) -> Where:
    return Where(platform=goal.platform, channel_id=goal.channel_id, thread_id=goal.thread_id)


async def requester_label(app: Deputy, key: str) -> str:
    async with app.database.session(team=team_of_actor_key(key)) as session:
        actor = await goals.get_actor(session, key)
    return actor.label if actor else key


async def consent_note(app: Deputy, view: PlanView) -> str:
    """The card's line saying who changed a version and that the requester must approve it."""
    if not view.version.requester_consent:
        return ""
    names = {key: await requester_label(app, key) for key in (view.goal.requester_key, view.version.author_key) if key}
    return consent_line(view, lambda key: names.get(key, key))


def consent_line(view: PlanView, label: Callable[[str], str]) -> str:
    """:func:`consent_note` with the names at hand (``label``: a person's name by key)."""
    if not view.version.requester_consent:
        return ""
    requester = label(view.goal.requester_key)
    author = label(view.version.author_key) if view.version.author_key else "Deputy"
    return (f"Changed by {author}, not by {requester} who asked: it runs with {requester}'s "
            f"accounts, so {requester} must approve this version too.")
