"""A plan card redrawn from the database, and the run an approval starts (which redraws it).

The card shows what other parts of flow know (the preview note, the Undo button, a pending
suggestion, who changed the version): they are read here, and none of them imports this
module's callers — the card is below every conversation that changes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.replies import CardState, PlanCard
from bot.domain import GoalStatus, PlanStatus
from bot.flow.addressing import consent_note, requester_label
from bot.flow.cards import build_card
from bot.flow.memory_use import using
from bot.flow.previews import preview_note
from bot.flow.suggestions import card_extras
from bot.flow.undo import undo_buttons
from bot.store import audit, goals, messages, runs
from bot.store.goals import PlanView

if TYPE_CHECKING:
    from bot.core.deputy import Deputy


async def start_run(app: Deputy, plan_id: int, version: int, *, actor_key: str | None) -> None:
    async with app.database.session() as session:
        view = await goals.load_view(session, plan_id, version, for_update=True)
        assert view is not None and view.version.id is not None and view.goal.id is not None
        await goals.set_version_status(session, view.version, PlanStatus.APPROVED)
        await goals.set_goal_status(session, view.goal, GoalStatus.RUNNING)
        run, created = await runs.create_run(session, view.goal.id, view.version.id)
        if created:
            await audit.append(session, "run_queued", actor_key=actor_key, goal_id=view.goal.id,
                               data={"run": run.id, "plan": plan_id, "version": version})
    await refresh_card(app, plan_id, version)
    app.work_available.set()


async def refresh_card(app: Deputy, plan_id: int, version: int, note: str = "") -> None:
    """Redraw a plan card from the database (state, approvals, step results)."""
    async with app.database.session() as session:
        view = await goals.load_view(session, plan_id, version)
        ref = await messages.card_of(session, view.version.id) if view and view.version.id else None
    if view is None or ref is None:
        return  # no card was ever posted for this version
    await app.port(view.goal.platform).update(ref, await current_card(app, view, note))


async def current_card(app: Deputy, view: PlanView, note: str = "") -> PlanCard:
    """The card of ``view`` as chat shows it now: what the web console shows too."""
    assert view.version.id is not None
    async with app.database.session() as session:
        approved = await goals.approvers_of(session, view.version)
        labels = []
        for key in approved:
            who = await goals.get_actor(session, key)
            labels.append(who.label if who else key)
        run = await runs.run_for_version(session, view.version.id)
        results = await runs.step_results(session, run.id) if run and run.id else {}
    state = _card_state(view.version.status, run.status if run else None)
    requester = await requester_label(app, view.goal.requester_key)
    suggestion, accept = await card_extras(app, view)
    used, forget = await using(app, view)  # the memories that shaped it, on every redraw
    lines = [used, await consent_note(app, view), note or await preview_note(app, view.version.id), suggestion]
    return build_card(view, app.registry, state=state, requester=requester,
                      approved_by=tuple(labels), results=results,
                      note="\n".join(line for line in lines if line),
                      extra_buttons=await undo_buttons(app, view, run, results) + accept + forget)


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
