"""``deputy audit verify`` and ``deputy audit export``: the bodies the CLI calls."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TextIO

from bot.settings import Settings
from bot.store.audit_verify import VerifyReport, export, verify
from bot.store.migrate import open_database


def parse_since(text: str) -> datetime:
    """An ISO date or date-time; a naive one is taken as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as err:
        raise ValueError(f"--since {text!r} is not an ISO date or date-time (e.g. 2026-11-01)") from err
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


async def verify_audit(settings: Settings, expected_head: str | None = None) -> VerifyReport:
    db = await open_database(settings)
    try:
        async with db.session() as session:
            return await verify(session, expected_head)
    finally:
        await db.dispose()


async def export_audit(settings: Settings, since: datetime | None, out: TextIO) -> int:
    """Write JSON Lines to ``out``; returns how many records were written."""
    db = await open_database(settings)
    count = 0
    batch: list[str] = []
    try:
        async with db.session() as session:
            async for line in export(session, since):
                batch.append(line)
                if len(batch) >= 500:
                    await asyncio.to_thread(out.writelines, batch)
                    count, batch = count + len(batch), []
        await asyncio.to_thread(out.writelines, batch)
        count += len(batch)
    finally:
        await db.dispose()
    return count
