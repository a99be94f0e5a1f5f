"""Invoicing, part one: clients, unbilled time and drafting invoices from it.

Money is integer cents. Time is billed as ``minutes * hourly_rate_cents / 60`` rounded half
up to the cent, on the whole period's minutes, so an invoice equals what unbilled_time said.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.sdk import PermanentError
from integrations.local.matching import suggest
from integrations.local.serialize import client_dict, invoice_dict
from integrations.local.tables import LocalBillingClient, LocalInvoice, LocalPayment, LocalTimeEntry


def amount_for(minutes: int, hourly_rate_cents: int) -> int:
    """Cents for ``minutes`` at the hourly rate, rounded half up (integers only, no floats)."""
    return (minutes * hourly_rate_cents + 30) // 60


async def all_clients(session: AsyncSession) -> list[LocalBillingClient]:
    return list((await session.exec(select(LocalBillingClient).order_by(col(LocalBillingClient.name)))).all())


async def list_clients(session: AsyncSession) -> dict[str, Any]:
    clients = await all_clients(session)
    return {"clients": [client_dict(c) for c in clients], "count": len(clients)}


async def resolve_client(session: AsyncSession, name: str) -> LocalBillingClient:
    """Exact name, else the one client whose name contains ``name`` (case-insensitive)."""
    clients = await all_clients(session)
    key = name.strip().lower()
    exact = [c for c in clients if c.name.lower() == key]
    partial = exact or [c for c in clients if key in c.name.lower()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise PermanentError(f"'{name}' matches several clients: {', '.join(c.name for c in partial)}.")
    raise PermanentError(f"No client is called '{name}'.{suggest(name, [c.name for c in clients])}")


async def get_client(session: AsyncSession, client_id: int) -> LocalBillingClient:
    client = await session.get(LocalBillingClient, client_id)
    if client is None:
        raise PermanentError(f"There is no client with id {client_id}.")
    return client


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise PermanentError(f"The period ends ({end}) before it starts ({start}).")


async def _unbilled(session: AsyncSession, start: date, end: date,
                    client_id: int | None = None) -> list[LocalTimeEntry]:
    query = select(LocalTimeEntry).where(
        col(LocalTimeEntry.invoice_id).is_(None),
        col(LocalTimeEntry.day) >= start,
        col(LocalTimeEntry.day) <= end,
    )
    if client_id is not None:
        query = query.where(LocalTimeEntry.client_id == client_id)
    rows = await session.exec(query.order_by(col(LocalTimeEntry.day), col(LocalTimeEntry.id)))
    return list(rows.all())


async def unbilled_time(session: AsyncSession, *, period_start: date, period_end: date,
                        client: str | None,
                        exclude_clients: list[str] | None = None) -> dict[str, Any]:
    _check_period(period_start, period_end)
    only = await resolve_client(session, client) if client else None
    excluded = {(await resolve_client(session, name)).id for name in exclude_clients or []}
    entries = [e for e in await _unbilled(session, period_start, period_end, only.id if only else None)
               if e.client_id not in excluded]
    by_client: dict[int, list[LocalTimeEntry]] = defaultdict(list)
    for entry in entries:
        by_client[entry.client_id].append(entry)
    summary: list[dict[str, Any]] = []
    totals: dict[str, int] = defaultdict(int)
    for c in await all_clients(session):
        mine = by_client.get(c.id or 0)
        if not mine:
            continue
        minutes = sum(e.minutes for e in mine)
        amount = amount_for(minutes, c.hourly_rate_cents)
        totals[c.currency] += amount
        summary.append({"client_id": c.id, "client": c.name, "email": c.email, "minutes": minutes,
                        "hours": round(minutes / 60, 2), "amount_cents": amount,
                        "currency": c.currency, "entries": len(mine)})
    return {"clients": summary, "count": len(summary), "total_cents": sum(totals.values()),
            "totals_by_currency": dict(totals),
            "period_start": period_start.isoformat(), "period_end": period_end.isoformat()}


async def next_number(session: AsyncSession) -> str:
    numbers = (await session.exec(select(LocalInvoice.number))).all()
    highest = max((int(n[4:]) for n in numbers if n.startswith("INV-") and n[4:].isdigit()), default=0)
    return f"INV-{highest + 1:04d}"


def _lines(entries: list[LocalTimeEntry], rate: int) -> list[dict[str, Any]]:
    """One line per person; cumulative rounding makes the lines sum exactly to the total."""
    minutes_by_person: dict[str, int] = defaultdict(int)
    for entry in entries:
        minutes_by_person[entry.person] += entry.minutes
    lines: list[dict[str, Any]] = []
    running = billed = 0
    for person, minutes in sorted(minutes_by_person.items()):
        running += minutes
        amount = amount_for(running, rate) - billed
        billed += amount
        lines.append({"description": f"Services by {person}", "person": person, "minutes": minutes,
                      "rate_cents": rate, "amount_cents": amount})
    return lines


async def draft_invoice(session: AsyncSession, now: datetime, *, client: LocalBillingClient,
                        period_start: date, period_end: date, issued_on: date,
                        due_days: int) -> LocalInvoice:
    """The invoice for the client's unbilled time in the period; its entries become billed."""
    _check_period(period_start, period_end)
    entries = await _unbilled(session, period_start, period_end, client.id)
    if not entries:
        raise PermanentError(
            f"Nothing to bill for {client.name} between {period_start} and {period_end}: "
            "no unbilled time in that period."
        )
    lines = _lines(entries, client.hourly_rate_cents)
    invoice = LocalInvoice(
        number=await next_number(session), client_id=client.id or 0,
        period_start=period_start, period_end=period_end, issued_on=issued_on,
        due_on=issued_on + timedelta(days=due_days),
        amount_cents=sum(line["amount_cents"] for line in lines), currency=client.currency,
        status="draft", lines=lines, created_at=now,
    )
    session.add(invoice)
    await session.flush()
    for entry in entries:
        entry.invoice_id = invoice.id
        session.add(entry)
    return invoice


async def estimate_invoice(session: AsyncSession, *, client_id: int, period_start: date,
                           period_end: date) -> dict[str, Any]:
    """What create_invoice would bill right now, computed the same way, without writing."""
    _check_period(period_start, period_end)
    client = await get_client(session, client_id)
    entries = await _unbilled(session, period_start, period_end, client.id)
    lines = _lines(entries, client.hourly_rate_cents)
    return {"client": client.name, "client_id": client.id, "email": client.email,
            "currency": client.currency, "minutes": sum(e.minutes for e in entries),
            "amount_cents": sum(line["amount_cents"] for line in lines), "lines": len(lines)}


async def create_invoice(session: AsyncSession, now: datetime, today: date, *, client_id: int,
                         period_start: date, period_end: date, due_days: int) -> dict[str, Any]:
    client = await get_client(session, client_id)
    invoice = await draft_invoice(session, now, client=client, period_start=period_start,
                                  period_end=period_end, issued_on=today, due_days=due_days)
    return {"invoice": invoice_dict(invoice, client, today), "id": invoice.id}


async def paid_so_far(session: AsyncSession, invoice_id: int) -> int:
    total = await session.exec(
        select(func.coalesce(func.sum(LocalPayment.amount_cents), 0)).where(LocalPayment.invoice_id == invoice_id)
    )
    return int(total.one())
