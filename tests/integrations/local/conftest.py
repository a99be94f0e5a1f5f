"""Fixtures for the embedded integration: a client on a controllable clock, and `call`,
which validates arguments against the manifest as the executor does before calling."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.domain import Actor
from bot.registry.contract import CallContext
from bot.registry.manifest import load_manifest
from bot.store.database import Database
from integrations.local.actions import actions
from integrations.local.client import LocalClient

MANIFEST = load_manifest(Path(__file__).parents[3] / "integrations" / "local" / "manifest.yaml")
ACTOR = Actor(platform="shell", team_id="local", user_id="u1", display_name="Ana")

Call = Callable[..., Awaitable[dict[str, Any]]]


class Clock:
    """Injected time: tests move it forward to see invoices become overdue."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def local(database: Database, clock: Clock) -> LocalClient:
    return LocalClient(database, clock=clock)


@pytest.fixture
def call(local: LocalClient) -> Call:
    async def run(action: str, *, key: str | None = None, tz: str = "UTC", **args: Any) -> dict[str, Any]:
        spec = MANIFEST.action(action)
        assert spec is not None, action
        jsonschema.validate(args, spec.args)
        ctx = CallContext(idempotency_key=key or uuid.uuid4().hex, actor=ACTOR, timezone=tz)
        return await actions.functions[action](local, ctx, **args)

    return run
