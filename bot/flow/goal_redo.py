"""A goal delivered again because the process handling it died mid-way (``redelivered``): what
is left of the first attempt's work is finished, nothing is done twice.

The goal exists already (its event id is stored): if it was never answered, it is planned
now; if it was answered with a question or an "I can't" that was stored but not recorded as
posted, that answer is posted; if its plan version was stored but no card was recorded for
it, the card is posted, unless the platform shows it was posted already (the first attempt
died between the post and its record): then that card is recorded; if the version runs
without approval (marked approved before its card was posted) and its run was never created,
the run is started. A thread reply delivered again after the version answering it was
stored gets the same for that version (:func:`finish_latest_version`). A platform's plain
retry (not ``redelivered``) stays ignored, as before (bot/flow/goals.py)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.chat.events import GoalPosted
from bot.chat.port import FindsCards
from bot.chat.replies import Notice, Question
from bot.domain import GoalStatus, PlanStatus
from bot.flow.addressing import where_of
from bot.flow.card_refresh import current_card, start_run
from bot.flow.thread_answers import post_unposted
from bot.store import goals, messages, runs
from bot.store.goals import PlanView
from bot.store.tables import GoalRow

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
        unposted = await messages.unposted_answer(session, goal.id)
    if view is None and goal.status == GoalStatus.PLANNING:
        log.info("goal %s: delivered again before it was planned; planning it now", goal.id)
        return goal.id
    # answered with a question or an "I can't" (or the preview found nothing to approve and
    # superseded the version with a question), stored but never posted
    if view is None or view.version.status == PlanStatus.SUPERSEDED:
        if unposted is not None and goal.status in (GoalStatus.WAITING, GoalStatus.UNPLANNED):
            answer = Notice(unposted.text, tone="warning") if goal.status == GoalStatus.UNPLANNED \
                else Question(unposted.text)
            await post_unposted(app, goal, answer, unposted)
        return None
    await _finish_version(app, goal, view, event.actor.team_key)
    return None


async def finish_latest_version(app: Deputy, goal_id: int, team: str) -> None:
    """A thread reply delivered again after a plan version answering it was stored: that
    version's card and run, if the attempt that stored it died before them (the newest version:
    a version answers the reply that came before it)."""
    async with app.database.session(team=team) as session:
        goal = await goals.get_goal(session, goal_id)
        plan = await goals.plan_for_goal(session, goal_id)
        view = await goals.load_view(session, plan.id) if plan is not None and plan.id else None
    if goal is not None and view is not None:
        await _finish_version(app, goal, view, team)


async def _finish_version(app: Deputy, goal: GoalRow, view: PlanView, team: str) -> None:
    """The card of a proposed or approved version, if none was recorded, and the run of a
    version that needs no approval, if it was never created."""
    if view.version.status not in (PlanStatus.PROPOSED, PlanStatus.APPROVED) or view.version.id is None:
        return
    async with app.database.session(team=team) as session:
        card = await messages.card_of(session, view.version.id)
        run = await runs.run_for_version(session, view.version.id)
    if card is None:
        await _card_of_redo(app, goal, view, team)
    if view.version.status == PlanStatus.APPROVED and run is None:
        log.info("goal %s: delivered again before the run of version %s, which needs no "
                 "approval, was started; starting it", goal.id, view.version.version)
        await start_run(app, view.plan.id or 0, view.version.version, team=team, actor_key=None)


async def _card_of_redo(app: Deputy, goal: GoalRow, view: PlanView, team: str) -> None:
    """Post the card of ``view``, recorded as posted by no attempt so far. The first attempt may
    have died after the platform took it, before it was recorded: the platform's own record of
    the post is looked up first (bot/chat/port.py, FindsCards) and adopted when found."""
    assert goal.id is not None and view.version.id is not None
    port = app.port(goal.platform)
    ref = await port.find_card(where_of(goal), view.plan.id or 0, view.version.version) \
        if isinstance(port, FindsCards) else None
    if ref is not None:
        log.info("goal %s: delivered again after the card of version %s was posted; recording that card",
                 goal.id, view.version.version)
    else:
        log.info("goal %s: delivered again after plan version %s was stored; posting its card",
                 goal.id, view.version.version)
        ref = await port.post(where_of(goal), await current_card(app, view))
    if ref is not None:
        async with app.database.session(team=team) as session:
            await messages.remember(session, goal.id, view.version.id, "plan_card", ref)
