"""What the outside world saw: a ledger of side effects shared by every worker process.

The crash harness's test integrations write here (a table in the harness's own PostgreSQL
database), so effects survive the SIGKILL of the process that caused them and the harness
can count them per idempotency key afterwards. Every call is logged too, so re-sends after
a crash are visible even when the integration deduplicated them.
"""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

IDEMPOTENT = "recorder"
PLAIN = "plainrecorder"

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS reliability_effects (
        id SERIAL PRIMARY KEY, integration TEXT NOT NULL, key TEXT NOT NULL,
        label TEXT NOT NULL, pid INTEGER NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT now())""",
    # the idempotent system answers a repeated key with the first effect, as Stripe does
    f"""CREATE UNIQUE INDEX IF NOT EXISTS uq_reliability_effects_key ON reliability_effects (key)
        WHERE integration = '{IDEMPOTENT}'""",
    """CREATE TABLE IF NOT EXISTS reliability_calls (
        id SERIAL PRIMARY KEY, integration TEXT NOT NULL, key TEXT NOT NULL,
        label TEXT NOT NULL, pid INTEGER NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT now())""",
)


async def create_ledger(conn: AsyncConnection) -> None:
    for statement in SCHEMA:
        await conn.execute(text(statement))


async def _latency() -> None:
    # a few milliseconds either side of the effect, so kills land before, during and after it
    await asyncio.sleep(random.uniform(0.003, 0.03))


async def record_write(database: Any, integration: str, key: str, label: str) -> dict[str, Any]:
    """Perform one write: idempotent by key for ``recorder``, blindly for ``plainrecorder``."""
    await _latency()
    params = {"integration": integration, "key": key, "label": label, "pid": os.getpid()}
    async with database.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO reliability_calls (integration, key, label, pid) "
            "VALUES (:integration, :key, :label, :pid)"), params)
        if integration == IDEMPOTENT:
            inserted = (await conn.execute(text(
                "INSERT INTO reliability_effects (integration, key, label, pid) "
                "VALUES (:integration, :key, :label, :pid) "
                f"ON CONFLICT (key) WHERE integration = '{IDEMPOTENT}' DO NOTHING RETURNING id"),
                params)).scalar()
            effect_id = inserted if inserted is not None else (await conn.execute(text(
                "SELECT id FROM reliability_effects WHERE key = :key AND integration = :integration"),
                params)).scalar_one()
        else:
            effect_id = (await conn.execute(text(
                "INSERT INTO reliability_effects (integration, key, label, pid) "
                "VALUES (:integration, :key, :label, :pid) RETURNING id"), params)).scalar_one()
    await _latency()
    return {"effect_id": int(effect_id), "label": label}


async def list_items(prefix: str, count: int) -> dict[str, Any]:
    await _latency()
    return {"items": [{"label": f"{prefix}-{i}"} for i in range(count)], "count": count}
