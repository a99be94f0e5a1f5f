"""Where a goal's thread is, who asked (by name), and the card line that says who changed
a version: small reads that cards, proposals and reports all need."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.domain import Actor, Where, team_of_actor_key
from bot.store import goals, parents
from bot.store.goals import PlanView
from bot.store.tables import GoalRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy


def where_of(goal: GoalRow) -> Where:
    return Where(platform=goal.platform, channel_id=goal.channel_id, thread_id=goal.thread_id, team=goal.team_key)


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


async def team_of_plan(app: Deputy, plan_id: int, actor: Actor) -> str:
    """The team whose session handles ``actor``'s click on plan ``plan_id``: the plan's own
    (so a plan of another team is found, refused as another team's and the refusal audited in
    its chain, never changed), else the actor's (nothing found, said so)."""
    async with app.database.session(all_teams=True) as session:
        return await parents.team_of_plan(session, plan_id) or actor.team_key


async def knows_thread(app: Deputy, where: Where) -> bool:
    """Is ``where`` the thread of a goal Deputy answers in (whichever process started it)?"""
    async with app.database.session(all_teams=True) as session:
        return await parents.team_of_thread(session, where) is not None


async def team_of_thread(app: Deputy, where: Where, actor: Actor) -> str:
    """As :func:`team_of_plan`, for a reply in a thread: the thread's goal's team, else the actor's."""
    async with app.database.session(all_teams=True) as session:
        return await parents.team_of_thread(session, where) or actor.team_key
