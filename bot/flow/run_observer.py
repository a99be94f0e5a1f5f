"""Flow's side of the executor's outbound port (:class:`bot.core.deputy.RunObserver`):
the conversation a run reports to — previews asked again, derived values checked, the card
refreshed, autopilot's record, the result or digest, the re-plan, the periodic expiry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.deputy import Deputy
from bot.domain import Actor
from bot.flow import derived, expiry, previews, reporting
from bot.flow.autopilot import record_run
from bot.store.goals import PlanView
from bot.store.tables import StepRow


class ConversationObserver:
    async def approval_holds(self, app: Deputy, run_id: int, view: PlanView, step: StepRow,
                             outputs: dict[str, Any], requester: Actor) -> bool:
        return await previews.approval_holds(app, run_id, view, step, outputs, requester)

    async def call_problem(self, app: Deputy, run_id: int, view: PlanView, step: StepRow,
                           index: int, args: dict[str, Any], requester: Actor) -> str | None:
        return await derived.call_problem(app, run_id, view, step, index, args, requester)

    async def progressed(self, app: Deputy, view: PlanView) -> None:
        await reporting.report_progress(app, view)

    async def finished(self, app: Deputy, view: PlanView, run_id: int, outputs: dict[str, Any],
                       failed: StepRow | None, error: str, check: str) -> None:
        await record_run(app, view, succeeded=failed is None)
        await reporting.report_progress(app, view)
        await reporting.report_finished(app, view, run_id, outputs, failed, error, check=check)

    async def tick(self, app: Deputy, now: datetime) -> None:
        await expiry.expire_and_escalate(app, now)
