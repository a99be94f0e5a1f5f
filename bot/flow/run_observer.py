"""Flow's side of the executor's outbound port (:class:`bot.core.deputy.RunObserver`):
the conversation a run reports to — previews asked again, derived values checked, the card
refreshed, autopilot's record, the episode (bot/flow/episodes.py), the result or digest,
the re-plan, the periodic expiry."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.core.deputy import Deputy
from bot.domain import Actor, PlanStatus, RunStatus
from bot.flow import derived, expiry, previews, reporting
from bot.flow.autopilot import record_run
from bot.flow.card_pacing import CardPacer
from bot.flow.card_refresh import refresh_card
from bot.flow.episodes import record_episode
from bot.flow.proposals import propose
from bot.store import audit, goals, runs
from bot.store.goals import PlanView
from bot.store.tables import StepRow

log = logging.getLogger(__name__)


class ConversationObserver:
    def __init__(self, cards: CardPacer | None = None) -> None:
        # the plan cards of the runs this process executes, redrawn at most once a second
        self.cards = cards or CardPacer()

    async def approval_holds(self, app: Deputy, run_id: int, view: PlanView, step: StepRow,
                             outputs: dict[str, Any], requester: Actor) -> bool:
        try:
            return await previews.approval_holds(app, run_id, view, step, outputs, requester)
        except previews.ApprovalVoid as void:
            await void_approval(app, run_id, view, void.changed, void.approved, void.found,
                                void.details)
            return False

    async def call_problem(self, app: Deputy, run_id: int, view: PlanView, step: StepRow,
                           index: int, args: dict[str, Any], requester: Actor) -> str | None:
        return await derived.call_problem(app, run_id, view, step, index, args, requester)

    async def progressed(self, app: Deputy, view: PlanView) -> None:
        await self.cards.progressed(app, view)

    async def finished(self, app: Deputy, view: PlanView, run_id: int, outputs: dict[str, Any],
                       failed: StepRow | None, error: str, check: str) -> None:
        await record_run(app, view, succeeded=failed is None)
        await record_episode(app, view, run_id, failed)
        await self.cards.finished(app, view)
        await reporting.report_finished(app, view, run_id, outputs, failed, error, check=check)

    async def tick(self, app: Deputy, now: datetime) -> None:
        await expiry.expire_and_escalate(app, now)


async def void_approval(app: Deputy, run_id: int, view: PlanView, changed: list[int], approved: str,
                found: str, details: str = "") -> None:
    assert view.goal.id is not None and view.plan.id is not None
    steps = ", ".join(str(n) for n in changed) or "?"
    why = (f"the data behind step {steps} changed after approval, so the approval no longer "
           "holds; nothing was written" + (f" ({details})" if details else ""))
    async with app.database.session(team=view.goal.team_key) as session:
        await runs.finish_run(session, run_id, RunStatus.CANCELLED, error=why)
        current = await goals.load_view(session, view.plan.id, view.version.version, for_update=True)
        if current is not None:
            await goals.set_version_status(session, current.version, PlanStatus.SUPERSEDED)
        await audit.append(session, "approval_void", goal_id=view.goal.id, data={
            "run": run_id, "plan": view.plan.id, "version": view.version.version,
            "approved_hash": approved, "found_hash": found, "steps": changed})
    log.info("run %s: approval void (%s)", run_id, why)
    await refresh_card(app, view.plan.id, view.version.version, note=f"Not run: {why}.", team=view.goal.team_key)
    await propose(app, view.goal.id, view.draft(), team=view.goal.team_key, reason="asked again: data changed after approval",
                  author_key=None,
                  note=f"Asked again: {why}. Please check the new values and approve again.")
