"""Time worked: logging it, and hours per client over a period (billed and unbilled)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.sdk import PermanentError
from integrations.local.billing import all_clients, resolve_client
from integrations.local.tables import LocalTimeEntry


async def log_time(session: AsyncSession, now: datetime, today: date, *, person: str, client: str,
                   minutes: int, day: date, description: str | None) -> dict[str, Any]:
    if day > today:
        raise PermanentError(f"{day} is in the future; time can only be logged for days that have begun.")
    owner = await resolve_client(session, client)
    entry = LocalTimeEntry(client_id=owner.id or 0, person=person, day=day, minutes=minutes,
                           description=(description or "").strip(), created_at=now)
    session.add(entry)
    await session.flush()
    return {"id": entry.id, "client": owner.name, "person": person, "day": day.isoformat(),
            "minutes": minutes, "hours": round(minutes / 60, 2), "description": entry.description}


async def time_report(session: AsyncSession, *, period_start: date, period_end: date,
                      client: str | None) -> dict[str, Any]:
    if period_end < period_start:
        raise PermanentError(f"The period ends ({period_end}) before it starts ({period_start}).")
    query = select(LocalTimeEntry).where(col(LocalTimeEntry.day) >= period_start,
                                         col(LocalTimeEntry.day) <= period_end)
    if client:
        query = query.where(LocalTimeEntry.client_id == (await resolve_client(session, client)).id)
    billed: dict[int, int] = defaultdict(int)
    unbilled: dict[int, int] = defaultdict(int)
    for entry in (await session.exec(query)).all():
        (billed if entry.invoice_id else unbilled)[entry.client_id] += entry.minutes
    rows: list[dict[str, Any]] = []
    for c in await all_clients(session):
        key = c.id or 0
        total = billed[key] + unbilled[key]
        if total:
            rows.append({"client": c.name, "hours": round(total / 60, 2), "minutes": total,
                         "billed_hours": round(billed[key] / 60, 2),
                         "unbilled_hours": round(unbilled[key] / 60, 2)})
    minutes = sum(int(r["minutes"]) for r in rows)
    return {"clients": rows, "count": len(rows), "total_hours": round(minutes / 60, 2),
            "period_start": period_start.isoformat(), "period_end": period_end.isoformat()}
