"""A model planner with the offline rules behind it.

When the model gives nothing usable (unreachable, timed out, plain text, malformed tool
calls, an invalid plan twice), the goal goes to the rule planner. If the rules understand
it, their plan is proposed and the card says so and why; otherwise the person gets the
model's one clear message. Either way the plan still passes the validator, the policy and
the previews like any other.
"""

from __future__ import annotations

import logging

from bot.domain import CannotPlan, PlanDraft, PlanningOutcome
from bot.planning.model_planner import ModelFailure, ModelPlanner
from bot.planning.protocol import Planner, PlanningContext, ReplanRequest

log = logging.getLogger(__name__)


class FallbackPlanner:
    def __init__(self, model: ModelPlanner, rules: Planner) -> None:
        self.model = model
        self._rules = rules
        self.name = model.name

    async def plan(self, goal: str, context: PlanningContext) -> PlanningOutcome:
        outcome = await self.model.plan(goal, context)
        if not isinstance(outcome, ModelFailure):
            return outcome
        return self._settle(outcome, await self._rules.plan(goal, context))

    async def replan(self, request: ReplanRequest, context: PlanningContext) -> PlanningOutcome:
        outcome = await self.model.replan(request, context)
        if not isinstance(outcome, ModelFailure):
            return outcome
        return self._settle(outcome, await self._rules.replan(request, context))

    async def aclose(self) -> None:
        await self.model.aclose()
        await self._rules.aclose()

    @staticmethod
    def _settle(failure: ModelFailure, ruled: PlanningOutcome) -> PlanningOutcome:
        if isinstance(ruled, PlanDraft):
            log.info("planner fell back to the rules: %s", failure.reason)
            return ruled.model_copy(update={
                "usage": failure.usage,
                "planned_by": f"the offline rules, because {failure.reason}",
            })
        return CannotPlan(message=failure.message, usage=failure.usage)
