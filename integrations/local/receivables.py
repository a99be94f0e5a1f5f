"""Invoicing, part two: sending, listing, chasing, paying and voiding invoices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.sdk import PermanentError
from integrations.common.addresses import addr_spec
from integrations.local.billing import get_client, paid_so_far, resolve_client
from integrations.local.serialize import effective_status, invoice_dict
from integrations.local.tables import (
    LocalBillingClient,
    LocalInvoice,
    LocalOutbox,
    LocalPayment,
    LocalTimeEntry,
)


def money(cents: int, currency: str) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100:,}.{abs(cents) % 100:02d} {currency}"


def billing_address(client: LocalBillingClient) -> str:
    """The client's billing email, refused unless it is exactly one valid address."""
    return addr_spec(client.email, f"billing email of {client.name}")


async def _invoice(session: AsyncSession, invoice_id: int) -> tuple[LocalInvoice, LocalBillingClient]:
    invoice = await session.get(LocalInvoice, invoice_id)
    if invoice is None:
        raise PermanentError(f"There is no invoice with id {invoice_id}.")
    return invoice, await get_client(session, invoice.client_id)


async def get_invoice(session: AsyncSession, today: date, *, invoice_id: int) -> dict[str, Any]:
    invoice, client = await _invoice(session, invoice_id)
    return {"invoice": invoice_dict(invoice, client, today, await paid_so_far(session, invoice_id))}


async def send_invoice(session: AsyncSession, now: datetime, today: date, *,
                       invoice_id: int) -> dict[str, Any]:
    invoice, client = await _invoice(session, invoice_id)
    if invoice.status != "draft":
        status = effective_status(invoice, today)
        raise PermanentError(f"Invoice {invoice.number} is {status}, not a draft; it cannot be sent again."
                             + (" Send a reminder instead." if status in ("sent", "overdue") else ""))
    to = billing_address(client)
    invoice.status, invoice.sent_at = "sent", now
    session.add(invoice)
    amount = money(invoice.amount_cents, invoice.currency)
    mail = LocalOutbox(
        kind="invoice", to=to, invoice_id=invoice.id, created_at=now,
        subject=f"Invoice {invoice.number} from {invoice.period_start} to {invoice.period_end}",
        body=(f"Dear {client.name},\n\nplease find invoice {invoice.number} for {amount}, "
              f"due on {invoice.due_on}.\n\n"
              + "\n".join(f"- {line['description']}: {line['minutes'] / 60:.2f} h, "
                          f"{money(line['amount_cents'], invoice.currency)}" for line in invoice.lines)),
    )
    session.add(mail)
    await session.flush()
    return {"invoice": invoice_dict(invoice, client, today), "outbox_id": mail.id, "to": to}


def _status_matches(wanted: str, status: str) -> bool:
    if wanted == "any":
        return True
    if wanted == "unpaid":
        return status in ("sent", "overdue")
    return status == wanted


async def list_invoices(session: AsyncSession, today: date, *, status: str, client: str | None,
                        exclude_clients: list[str] | None = None,
                        overdue_more_than_days: int | None = None,
                        amount_above_cents: int | None = None) -> dict[str, Any]:
    query = select(LocalInvoice, LocalBillingClient).join(
        LocalBillingClient, col(LocalInvoice.client_id) == col(LocalBillingClient.id))
    if client:
        only = await resolve_client(session, client)
        query = query.where(LocalInvoice.client_id == only.id)
    # every excluded name must be a client: a misspelt exclusion would otherwise exclude nobody
    excluded = [(await resolve_client(session, name)).id for name in exclude_clients or []]
    if excluded:
        query = query.where(col(LocalInvoice.client_id).not_in(excluded))
    rows = (await session.exec(query.order_by(col(LocalInvoice.issued_on), col(LocalInvoice.id)))).all()
    paid = dict((await session.exec(
        select(LocalPayment.invoice_id, func.sum(LocalPayment.amount_cents)).group_by(col(LocalPayment.invoice_id))
    )).all())
    invoices = [invoice_dict(invoice, owner, today, int(paid.get(invoice.id or 0, 0)))
                for invoice, owner in rows
                if _status_matches(status, effective_status(invoice, today))]
    if overdue_more_than_days is not None:
        invoices = [i for i in invoices if i["days_overdue"] > overdue_more_than_days]
    if amount_above_cents is not None:
        invoices = [i for i in invoices if i["amount_cents"] > amount_above_cents]
    return {"invoices": invoices, "count": len(invoices),
            "total_cents": sum(i["amount_cents"] for i in invoices),
            "outstanding_cents": sum(i["outstanding_cents"] for i in invoices)}


async def send_reminder(session: AsyncSession, now: datetime, today: date, *, invoice_id: int,
                        message: str | None) -> dict[str, Any]:
    invoice, client = await _invoice(session, invoice_id)
    status = effective_status(invoice, today)
    if status not in ("sent", "overdue"):
        why = {"draft": "has not been sent yet", "paid": "is already paid", "void": "is void"}
        raise PermanentError(f"Invoice {invoice.number} {why.get(status, 'is ' + status)}; "
                             "there is nothing to remind about.")
    to = billing_address(client)
    outstanding = invoice.amount_cents - await paid_so_far(session, invoice.id or 0)
    late = (today - invoice.due_on).days
    when = f"was due {late} day{'s' if late != 1 else ''} ago ({invoice.due_on})" if late > 0 \
        else f"is due on {invoice.due_on}"
    body = message or (f"Dear {client.name},\n\na friendly reminder that invoice {invoice.number} "
                       f"for {money(outstanding, invoice.currency)} {when}. "
                       "If you have already paid, please ignore this message.")
    mail = LocalOutbox(kind="reminder", to=to, invoice_id=invoice.id, created_at=now,
                       subject=f"Reminder: invoice {invoice.number}", body=body)
    session.add(mail)
    await session.flush()
    return {"outbox_id": mail.id, "to": to, "invoice_id": invoice.id,
            "number": invoice.number, "client": client.name, "days_overdue": max(late, 0),
            "outstanding_cents": outstanding, "currency": invoice.currency}


async def record_payment(session: AsyncSession, now: datetime, today: date, *, invoice_id: int,
                         amount_cents: int, paid_on: date | None) -> dict[str, Any]:
    invoice, client = await _invoice(session, invoice_id)
    if invoice.status != "sent":
        why = {"draft": "has not been sent yet", "paid": "is already paid", "void": "is void"}
        raise PermanentError(f"Invoice {invoice.number} {why.get(invoice.status, 'is ' + invoice.status)}; "
                             "no payment can be recorded against it.")
    paid = await paid_so_far(session, invoice.id or 0)
    outstanding = invoice.amount_cents - paid
    if amount_cents > outstanding:
        raise PermanentError(
            f"{money(amount_cents, invoice.currency)} is more than the "
            f"{money(outstanding, invoice.currency)} still owed on {invoice.number}.")
    payment = LocalPayment(invoice_id=invoice.id or 0, amount_cents=amount_cents,
                           paid_on=paid_on or today, created_at=now)
    session.add(payment)
    await session.flush()
    if paid + amount_cents == invoice.amount_cents:
        invoice.status, invoice.paid_on = "paid", payment.paid_on
        session.add(invoice)
    return {"invoice": invoice_dict(invoice, client, today, paid + amount_cents),
            "payment_id": payment.id}


async def void_invoice(session: AsyncSession, today: date, *, invoice_id: int) -> dict[str, Any]:
    invoice, client = await _invoice(session, invoice_id)
    if invoice.status == "paid":
        raise PermanentError(f"Invoice {invoice.number} is already paid; it cannot be voided.")
    if invoice.status == "void":
        raise PermanentError(f"Invoice {invoice.number} is already void.")
    if await paid_so_far(session, invoice.id or 0):
        raise PermanentError(f"Invoice {invoice.number} has payments recorded; it cannot be voided.")
    invoice.status = "void"
    session.add(invoice)
    # its time becomes unbilled again, so voiding undoes create_invoice completely
    entries = await session.exec(select(LocalTimeEntry).where(LocalTimeEntry.invoice_id == invoice.id))
    for entry in entries.all():
        entry.invoice_id = None
        session.add(entry)
    return {"invoice": invoice_dict(invoice, client, today)}
