"""Rows to the JSON dicts actions return (plain JSON: results are stored and referenced)."""

from __future__ import annotations

from datetime import UTC, date, tzinfo
from typing import Any

from bot.sdk import iso
from integrations.local.tables import (
    LocalBillingClient,
    LocalCompany,
    LocalContact,
    LocalDeal,
    LocalEvent,
    LocalInvoice,
    LocalNote,
    LocalOutbox,
)


def event_dict(row: LocalEvent, tz: tzinfo = UTC) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "start": iso(row.start, tz),
        "end": iso(row.end, tz),
        "attendees": list(row.attendees),
        "location": row.location,
        "status": row.status,
    }


def company_dict(row: LocalCompany) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "domain": row.domain}


def contact_dict(row: LocalContact, company: LocalCompany | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "email": row.email,
        "phone": row.phone,
        "title": row.title,
        "company_id": row.company_id,
        "company": company.name if company else None,
    }


def deal_dict(row: LocalDeal, company: LocalCompany | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "company_id": row.company_id,
        "company": company.name if company else None,
        "amount_cents": row.amount_cents,
        "currency": row.currency,
        "stage": row.stage,
    }


def note_dict(row: LocalNote) -> dict[str, Any]:
    return {
        "id": row.id,
        "subject": row.subject,
        "subject_id": row.subject_id,
        "body": row.body,
        "author": row.author,
        "created_at": row.created_at.isoformat(),
    }


def client_dict(row: LocalBillingClient) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "email": row.email,
        "currency": row.currency,
        "hourly_rate_cents": row.hourly_rate_cents,
    }


def effective_status(row: LocalInvoice, today: date) -> str:
    """'overdue' is never stored: it is a sent, unpaid invoice whose due date has passed."""
    if row.status == "sent" and row.due_on < today:
        return "overdue"
    return row.status


def invoice_dict(row: LocalInvoice, client: LocalBillingClient, today: date,
                 paid_cents: int = 0) -> dict[str, Any]:
    status = effective_status(row, today)
    return {
        "id": row.id,
        "number": row.number,
        "client": client.name,
        "client_id": row.client_id,
        "email": client.email,
        "amount_cents": row.amount_cents,
        "paid_cents": paid_cents,
        "outstanding_cents": 0 if row.status in ("paid", "void") else row.amount_cents - paid_cents,
        "currency": row.currency,
        "status": status,
        "days_overdue": (today - row.due_on).days if status == "overdue" else 0,
        "issued_on": row.issued_on.isoformat(),
        "due_on": row.due_on.isoformat(),
        "period_start": row.period_start.isoformat(),
        "period_end": row.period_end.isoformat(),
        "paid_on": row.paid_on.isoformat() if row.paid_on else None,
        "lines": list(row.lines),
    }


def outbox_dict(row: LocalOutbox) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "to": row.to,
        "subject": row.subject,
        "body": row.body,
        "invoice_id": row.invoice_id,
        "event_id": row.event_id,
        "created_at": row.created_at.isoformat(),
    }
