"""What the outside world saw: a ledger of side effects shared by every worker process.

The crash harness's test integrations write here (a table in the harness's own PostgreSQL
database), so effects survive the SIGKILL of the process that caused them and the harness
can count them per idempotency key afterwards. Every call is logged too, so re-sends after
a crash are visible even when the integration deduplicated them.

The effects table has no unique index: a second effect for one key, or for one label, is
always stored and so always seen. ``recorder`` deduplicates the way Stripe does, in its own
idempotency store (``reliability_keys``: the first effect each key produced), not by a
constraint on the effects that would make a duplicate impossible to observe.
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
    # the idempotent system's own store of answered keys, as Stripe keeps one
    """CREATE TABLE IF NOT EXISTS reliability_keys (
        key TEXT PRIMARY KEY, effect_id INTEGER)""",
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
            # claim the key first: a concurrent call with the same key waits here for the
            # first one's transaction, then finds the key taken and answers its effect
            claimed = (await conn.execute(text(
                "INSERT INTO reliability_keys (key) VALUES (:key) "
                "ON CONFLICT (key) DO NOTHING RETURNING key"), params)).scalar()
            if claimed is None:
                effect_id = (await conn.execute(text(
                    "SELECT effect_id FROM reliability_keys WHERE key = :key"), params)).scalar_one()
            else:
                effect_id = (await conn.execute(text(
                    "INSERT INTO reliability_effects (integration, key, label, pid) "
                    "VALUES (:integration, :key, :label, :pid) RETURNING id"), params)).scalar_one()
                await conn.execute(text(
                    "UPDATE reliability_keys SET effect_id = :effect_id WHERE key = :key"),
                    {"effect_id": effect_id, "key": key})
        else:
            effect_id = (await conn.execute(text(
                "INSERT INTO reliability_effects (integration, key, label, pid) "
                "VALUES (:integration, :key, :label, :pid) RETURNING id"), params)).scalar_one()
    await _latency()
    return {"effect_id": int(effect_id), "label": label}


async def list_items(prefix: str, count: int) -> dict[str, Any]:
    await _latency()
    return {"items": [{"label": f"{prefix}-{i}"} for i in range(count)], "count": count}
