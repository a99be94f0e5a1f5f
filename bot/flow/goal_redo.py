"""A goal delivered again because the process handling it died mid-way (``redelivered``): what
is left of the first attempt's work is finished, nothing is done twice.

The goal exists already (its event id is stored): if it was never answered, it is planned
now; if its plan version was stored but no card was recorded for it, the card is posted; if
the card is there, nothing is left. A platform's plain retry (not ``redelivered``) stays
ignored, as before (bot/flow/goals.py)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.chat.events import GoalPosted
from bot.domain import GoalStatus, PlanStatus
from bot.flow.addressing import where_of
from bot.flow.card_refresh import current_card
from bot.store import goals, messages

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

log = logging.getLogger(__name__)


async def unfinished_goal(app: Deputy, event: GoalPosted) -> int | None:
    """The id of ``event``'s goal when it still needs planning; otherwise None, after posting
    its plan card if only that was missing."""
    if event.event_id is None:
        return None
    async with app.database.session(team=event.actor.team_key) as session:
        goal = await goals.goal_for_event(session, event.where.platform, event.event_id)
        if goal is None or goal.id is None:
            return None
        plan = await goals.plan_for_goal(session, goal.id)
        view = await goals.load_view(session, plan.id) if plan is not None and plan.id else None
        card = await messages.card_of(session, view.version.id) if view and view.version.id else None
    if view is None:
        if goal.status != GoalStatus.PLANNING:
            return None  # answered with a question or an honest "I can't"
        log.info("goal %s: delivered again before it was planned; planning it now", goal.id)
        return goal.id
    if card is not None or view.version.status not in (PlanStatus.PROPOSED, PlanStatus.APPROVED):
        return None
    assert view.version.id is not None
    log.info("goal %s: delivered again after plan version %s was stored; posting its card",
             goal.id, view.version.version)
    ref = await app.port(goal.platform).post(where_of(goal), await current_card(app, view))
    if ref is not None:
        async with app.database.session(team=event.actor.team_key) as session:
            await messages.remember(session, goal.id, view.version.id, "plan_card", ref)
    return None
