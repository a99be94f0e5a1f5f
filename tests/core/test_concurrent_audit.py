"""Audit records appended at once from concurrent tasks (parallel steps, for-each items, a
card edit) still form one chain, on SQLite as on PostgreSQL."""

from __future__ import annotations

import asyncio

from bot.store import audit
from bot.store.audit_verify import verify
from bot.store.database import Database


async def test_concurrent_appends_keep_one_chain(database: Database) -> None:
    async def append(i: int) -> None:
        async with database.session(all_teams=True) as session:
            await audit.append(session, "call", data={"item": i})
            await asyncio.sleep(0.01)  # the transaction stays open while the others try

    await asyncio.gather(*(append(i) for i in range(12)))
    async with database.session(all_teams=True) as session:
        report = await verify(session)
    assert report.ok, report.summary()
    assert report.records == 12
