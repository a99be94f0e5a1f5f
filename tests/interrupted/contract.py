"""The shared shape of the interrupted-write contract tests.

Each integration's test names every write action of its manifest (``test_every_write_has_a_case``
fails when an action is added without a case), calls it through ``call_action`` — the
executor's only path to an integration, where the retry rule lives — with the server
interrupted after it received the write, and then counts what the server stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot.domain import Actor, Effect
from bot.errors import OutcomeUnknown
from bot.execution.calls import call_action
from bot.registry import CallContext, Registry
from bot.settings import Settings, load_settings

ACTOR = Actor(platform="shell", team_id="local", user_id="ana", display_name="Ana")
MODES = ["stall", "drop"]


def contract_settings(**overrides: Any) -> Settings:
    # three tries, no waiting between them: a retry that should not happen would happen at once
    fields: dict[str, Any] = {"step_attempts": 3, "retry_base_seconds": 0, "retry_max_seconds": 0,
                              "step_timeout_seconds": 10, "timezone": "Europe/London"}
    return load_settings(**(fields | overrides))


def context(credentials: dict[str, str] | None = None, key: str = "deputy-run7-s2") -> CallContext:
    return CallContext(idempotency_key=key, actor=ACTOR, timezone="Europe/London",
                       credentials=credentials or {})


def write_actions(registry: Registry, integration: str) -> set[str]:
    loaded = registry.get(integration)
    assert loaded is not None
    return {a.name for a in loaded.manifest.actions if a.effect is not Effect.READ}


@dataclass(frozen=True)
class Outcome:
    result: dict[str, Any] | None
    unknown: OutcomeUnknown | None


async def call(registry: Registry, settings: Settings, action: str, args: dict[str, Any],
               ctx: CallContext) -> Outcome:
    try:
        return Outcome(await call_action(registry, settings, action, args, ctx), None)
    except OutcomeUnknown as err:
        return Outcome(None, err)


def assert_unknown_and_at_most_once(outcome: Outcome, effects: int, action: str) -> None:
    """The contract for an integration without idempotency keys."""
    assert effects <= 1, f"{action} happened {effects} times"
    assert outcome.unknown is not None, f"{action} answered {outcome.result} after an interruption"
    assert "may or may not have happened" in str(outcome.unknown)
    assert "not sent again" in str(outcome.unknown)


def assert_exactly_once(outcome: Outcome, effects: int, action: str) -> None:
    """The contract for an integration that honours idempotency keys: retried, done once."""
    assert outcome.unknown is None, f"{action}: {outcome.unknown}"
    assert outcome.result is not None
    assert effects == 1, f"{action} happened {effects} times"


Setup = Callable[[Any], Awaitable[dict[str, Any]]]

__all__ = ["MODES", "Outcome", "Setup", "assert_exactly_once", "assert_unknown_and_at_most_once",
           "call", "context", "contract_settings", "pytest", "write_actions"]
