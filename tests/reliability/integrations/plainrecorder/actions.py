"""The plainrecorder test integration: its writes go to the shared effects ledger."""

from __future__ import annotations

from typing import Any

from bot.sdk import ActionSet, CallContext, IntegrationEnv
from tests.reliability import effects_ledger

actions = ActionSet("plainrecorder", client_factory=lambda env: env)


@actions.action("list_items")
async def list_items(env: IntegrationEnv, ctx: CallContext, *, prefix: str, count: int) -> dict[str, Any]:
    return await effects_ledger.list_items(prefix, count)


@actions.action("write")
async def write(env: IntegrationEnv, ctx: CallContext, *, label: str) -> dict[str, Any]:
    return await effects_ledger.record_write(env.database, "plainrecorder", ctx.idempotency_key, label)
