"""``deputy planner check``: one tiny planning request to the configured backend.

The request uses a one-action catalogue (``check.ping``) rather than the loaded
integrations, so it costs a few hundred tokens; it goes through the backend's real
request-building path and the same judging as a goal, so "tool calling works" means the
model answered with a valid ``submit_plan`` (or ``ask_question``) call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain import Actor, CannotPlan, Clarification, PlanDraft
from bot.planning.factory import backend_name, planner_for
from bot.planning.fallback import FallbackPlanner
from bot.planning.protocol import PlanningContext
from bot.registry import ActionSpec, Manifest
from bot.settings import Settings

GOAL = "Connection check: plan exactly one step, the action check.ping with no arguments."
PING = Manifest.model_validate({
    "name": "check", "description": "Deputy's planner check.",
    "actions": [{"name": "ping", "description": "Answers pong. Reads nothing.", "effect": "read",
                 "args": {"type": "object", "properties": {}, "additionalProperties": False}}],
})


class _Ping:
    """The one-action catalogue, as a registry (for the factory) and as the context's actions."""

    def manifests(self) -> list[Manifest]:
        return [PING]

    def spec(self, action: str) -> ActionSpec | None:
        return PING.actions[0] if action == "check.ping" else None


@dataclass(frozen=True)
class CheckReport:
    backend: str
    model: str
    latency_ms: int
    calls: int
    tool_calling: bool
    detail: str

    def lines(self) -> list[str]:
        return [
            f"planner: {self.backend}",
            f"model: {self.model}",
            f"latency: {self.latency_ms} ms ({self.calls} call{'s' if self.calls != 1 else ''})",
            f"tool calling: {'works' if self.tool_calling else 'FAILED'} ({self.detail})",
        ]


async def check_planner(settings: Settings) -> CheckReport:
    backend = backend_name(settings)
    planner = planner_for(settings, _Ping())  # type: ignore[arg-type]  # only manifests() is read
    if not isinstance(planner, FallbackPlanner):
        return CheckReport(backend, "offline rules (no model)", 0, 0, True, "no model to call")
    model = planner.model
    context = PlanningContext(
        requester=Actor(platform="shell", team_id="check", user_id="check", display_name="Planner check",
                        timezone="UTC"),
        now=datetime.now(UTC), timezone="UTC", actions=_Ping())
    began = time.monotonic()
    outcome = await model.plan(GOAL, context)  # the model alone: no fallback hides a failure
    latency = round((time.monotonic() - began) * 1000)
    calls = outcome.usage.get("calls", 0)
    if isinstance(outcome, PlanDraft):
        works, detail = True, f"submit_plan with {', '.join(s.action for s in outcome.steps)}"
        if calls > 1:
            detail += ", after one repair round"
    elif isinstance(outcome, Clarification):
        works, detail = True, "answered with ask_question instead of the plan"
    else:
        assert isinstance(outcome, CannotPlan)
        works, detail = False, getattr(outcome, "reason", "") or outcome.message
    return CheckReport(backend, model.model, latency, calls, works, detail)
