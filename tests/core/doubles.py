"""Test doubles for the core: a scripted planner and an integration that fails on demand.

The `flaky` integration is a real integration by the registry's contract (manifest +
ActionSet); it records every side effect with its idempotency key, like the fakes the crash
suite uses, so tests can count effects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.domain import CannotPlan, PlanDraft, PlanningOutcome, Step
from bot.planning import PlanningContext, ReplanRequest
from bot.sdk import (  # the flaky integration is written as any outside integration is
    ActionSet,
    CallContext,
    LoadedIntegration,
    Manifest,
    PermanentError,
    TransientError,
)


class ScriptedPlanner:
    name = "scripted"

    def __init__(self, *outcomes: PlanningOutcome) -> None:
        self.outcomes = list(outcomes)
        self.replans: list[ReplanRequest] = []

    def script(self, *outcomes: PlanningOutcome) -> None:
        """From now on, answer with ``outcomes`` (what is left of an earlier script is dropped)."""
        self.outcomes = list(outcomes)

    def _next(self) -> PlanningOutcome:
        return self.outcomes.pop(0) if self.outcomes else CannotPlan(message="No re-plan scripted.")

    async def plan(self, goal: str, context: PlanningContext) -> PlanningOutcome:
        return self._next()

    async def replan(self, request: ReplanRequest, context: PlanningContext) -> PlanningOutcome:
        self.replans.append(request)
        return self._next()

    async def aclose(self) -> None:
        """Holds nothing."""


@dataclass
class FlakyBackend:
    """What the outside system saw: every effect, and how many calls failed first."""

    fail_next: list[Exception] = field(default_factory=list)
    # failures for calls posting a given text, used before fail_next
    fail_text: dict[str, list[Exception]] = field(default_factory=dict)
    effects: list[tuple[str, str]] = field(default_factory=list)  # (idempotency key, text)
    calls: int = 0
    idempotent: bool = False
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)


def flaky_integration(backend: FlakyBackend) -> LoadedIntegration:
    manifest = Manifest.model_validate({
        "name": "flaky", "description": "An outside system that fails on demand.",
        "idempotent_writes": backend.idempotent,
        "actions": [
            {"name": "post", "description": "Post a text.", "effect": "write",
             "args": {"type": "object", "required": ["text"], "additionalProperties": False,
                      "properties": {"text": {"type": "string"}}}},
            {"name": "read", "description": "Read something.", "effect": "read",
             "args": {"type": "object", "properties": {}}},
        ],
    })
    actions = ActionSet("flaky", client_factory=lambda env: backend)

    @actions.action("post")
    async def post(client: FlakyBackend, ctx: CallContext, *, text: str) -> dict[str, Any]:
        client.calls += 1
        if client.fail_text.get(text):
            raise client.fail_text[text].pop(0)
        if client.fail_next:
            raise client.fail_next.pop(0)
        if client.idempotent and ctx.idempotency_key in client.seen:
            return client.seen[ctx.idempotency_key]
        client.effects.append((ctx.idempotency_key, text))
        result = {"posted": text, "count": len(client.effects)}
        client.seen[ctx.idempotency_key] = result
        return result

    @actions.action("read")
    async def read(client: FlakyBackend, ctx: CallContext) -> dict[str, Any]:
        client.calls += 1
        return {"items": ["a", "b"], "count": 2}

    return LoadedIntegration(manifest=manifest, actions=actions)


def post_plan(*texts: str) -> PlanDraft:
    return PlanDraft(summary="Post " + ", ".join(texts), steps=[
        Step(id=f"s{i}", action="flaky.post", args={"text": t}, note=f"Post {t}")
        for i, t in enumerate(texts, start=1)])


__all__ = ["FlakyBackend", "PermanentError", "ScriptedPlanner", "TransientError", "flaky_integration",
           "post_plan"]
