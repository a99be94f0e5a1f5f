"""A plan card redrawn from the database, and the run an approval starts (which redraws it).

The card shows what other parts of flow know (the preview note, the Undo button, a pending
suggestion, who changed the version): they are read here, and none of them imports this
module's callers — the card is below every conversation that changes it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.chat.replies import CardState, PlanCard
from bot.domain import GoalStatus, PlanStatus
from bot.flow.addressing import consent_line
from bot.flow.cards import build_card
from bot.flow.memory_use import using_lines
from bot.flow.suggestions import card_extras
from bot.flow.undo import source_id, undo_buttons
from bot.store import audit, goals, inbox_fence, messages, runs, transitions
from bot.store.card_reads import CardRows, card_rows
from bot.store.database import Session
from bot.store.goals import PlanView
from bot.store.team_closing import OPEN_GOALS

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

log = logging.getLogger(__name__)


class _GoalClosed(Exception):
    """The goal was cancelled (or ended) since the plan was approved: start nothing."""


async def start_run(app: Deputy, plan_id: int, version: int, *, team: str, actor_key: str | None) -> None:
    try:
        await _queue_run(app, plan_id, version, team=team, actor_key=actor_key)
    except _GoalClosed:  # its transaction rolled back: the version's approval stays unwritten too
        log.info("plan %s v%s: its goal was closed meanwhile; no run started", plan_id, version)
        return
    await refresh_card(app, plan_id, version, team=team)
    app.work_available.set()


async def _queue_run(app: Deputy, plan_id: int, version: int, *, team: str, actor_key: str | None) -> None:
    async with app.database.session(team=team) as session:
        # a planner that lost its request's lease starts nothing (bot/store/inbox_fence.py)
        await inbox_fence.confirm(session)
        view = await goals.load_view(session, plan_id, version, for_update=True)
        assert view is not None and view.version.id is not None and view.goal.id is not None
        # approved by its quorum (approvals.py) or to run alone (proposals.py); one still
        # proposed is approved only while it still is: another process may have rejected it
        # since it was read (SQLite takes no row lock), and then no run starts
        if view.version.status != PlanStatus.APPROVED and not await transitions.move_version(
                session, view.version, PlanStatus.APPROVED):
            log.info("plan %s v%s was decided meanwhile: no run started", plan_id, version)
            return
        # only while the goal is open: the requester may have cancelled it since the version
        # was approved (`cancel` leaves an approved version as it is and stops its runs)
        if not await transitions.move_goal(session, view.goal, GoalStatus.RUNNING, only_from=OPEN_GOALS):
            raise _GoalClosed
        run, created = await runs.create_run(session, view.goal.id, view.version.id)
        if created:
            await audit.append(session, "run_queued", actor_key=actor_key, goal_id=view.goal.id,
                               data={"run": run.id, "plan": plan_id, "version": version})


async def refresh_card(app: Deputy, plan_id: int, version: int, note: str = "", *, team: str) -> None:
    """Redraw a plan card from the database (state, approvals, step results)."""
    async with app.database.session(team=team) as session:
        view = await goals.load_view(session, plan_id, version)
        ref = await messages.card_of(session, view.version.id) if view and view.version.id else None
    if view is None or ref is None:
        return  # no card was ever posted for this version
    await app.port(view.goal.platform).update(ref, await current_card(app, view, note))


async def current_card(app: Deputy, view: PlanView, note: str = "") -> PlanCard:
    """The card of ``view`` as chat shows it now: what the web console shows too."""
    return (await current_cards(app, [view], note))[0]


async def current_cards(app: Deputy, views: Sequence[PlanView], note: str = "",
                        session: Session | None = None) -> list[PlanCard]:
    """The cards of ``views`` as chat shows them now, what they show besides the plan read in
    one query per kind for all of them (a page of the web console shows ten); in
    ``session`` when the caller holds one."""
    if session is None:
        if not views:
            return []
        # the cards of one team (a page of the console, one plan's redraw): read in its session
        teams = {view.goal.team_key for view in views}
        if len(teams) != 1:
            raise ValueError("the cards of one team at a time")
        async with app.database.session(team=teams.pop()) as own:
            rows = await card_rows(own, views, source_id)
    else:
        rows = await card_rows(session, views, source_id)
    return [_card(app, view, rows, note) for view in views]


def _card(app: Deputy, view: PlanView, rows: CardRows, note: str) -> PlanCard:
    assert view.version.id is not None
    run = rows.runs.get(view.version.id)
    results = rows.results.get(run.id, {}) if run and run.id else {}
    state = _card_state(view.version.status, run.status if run else None)
    requester = rows.label(view.goal.requester_key)
    suggestion, accept = card_extras(view, rows.suggestions.get(view.goal.id or 0), requester)
    # the memories that shaped it and the past runs it repeats, on every redraw
    used, forget = using_lines(view, rows.memories, rows.past_runs, app.clock())
    preview = rows.previews.get(view.version.id)
    lines = [used, consent_line(view, rows.label), note or (preview.note if preview else ""), suggestion]
    undone = run is not None and run.id is not None and (view.goal.platform, source_id(run.id)) in rows.events
    return build_card(view, app.registry, state=state, requester=requester,
                      approved_by=tuple(rows.label(k) for k in rows.approvers.get(view.version.id, [])),
                      results=results, note="\n".join(line for line in lines if line),
                      extra_buttons=undo_buttons(app, view, run, results, undone) + accept + forget)


def _card_state(version_status: str, run_status: str | None) -> CardState:
    if run_status == "running":
        return CardState.RUNNING
    if run_status == "succeeded":
        return CardState.SUCCEEDED
    if run_status == "failed":
        return CardState.FAILED
    if run_status == "cancelled":
        return CardState.CANCELLED
    return {
        PlanStatus.PROPOSED: CardState.AWAITING,
        PlanStatus.APPROVED: CardState.APPROVED,
        PlanStatus.REJECTED: CardState.REJECTED,
        PlanStatus.SUPERSEDED: CardState.SUPERSEDED,
        PlanStatus.CANCELLED: CardState.CANCELLED,
    }.get(PlanStatus(version_status), CardState.AWAITING)
