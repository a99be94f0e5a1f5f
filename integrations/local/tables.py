"""Tables of the embedded integration, all prefixed ``local_``. Every row belongs to one team
(``team_key``, from the call's :class:`CallContext`): one team never sees another's data.

Timestamps are timezone-aware UTC (SQLite keeps no offset, so :class:`UTCDateTime` converts
on the way in and out); amounts are integers in the currency's minor unit, never floats.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field

from bot.sdk import TeamScoped, UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def _money() -> Any:
    return Field(default=0, sa_type=BigInteger)


def _stamp() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime)


class LocalCompany(TeamScoped, table=True):
    __tablename__ = "local_companies"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    domain: str | None = Field(default=None, max_length=200)
    created_at: datetime = _stamp()


class LocalContact(TeamScoped, table=True):
    __tablename__ = "local_contacts"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    email: str = Field(max_length=254, index=True)
    phone: str | None = Field(default=None, max_length=60)
    title: str | None = Field(default=None, max_length=200)
    company_id: int | None = Field(default=None, foreign_key="local_companies.id", index=True)
    created_at: datetime = _stamp()


class LocalDeal(TeamScoped, table=True):
    __tablename__ = "local_deals"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    company_id: int | None = Field(default=None, foreign_key="local_companies.id", index=True)
    amount_cents: int = _money()
    currency: str = Field(default="USD", max_length=3)
    stage: str = Field(default="lead", max_length=20)
    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()


class LocalNote(TeamScoped, table=True):
    __tablename__ = "local_notes"
    __table_args__ = (Index("ix_local_notes_subject", "subject", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=20)  # contact | company | deal
    subject_id: int
    body: str
    author: str = Field(default="", max_length=200)
    created_at: datetime = _stamp()


class LocalEvent(TeamScoped, table=True):
    __tablename__ = "local_events"
    __table_args__ = (Index("ix_local_events_window", "status", "start", "end"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    start: datetime = Field(sa_type=UTCDateTime)
    end: datetime = Field(sa_type=UTCDateTime)
    attendees: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    location: str | None = Field(default=None, max_length=300)
    status: str = Field(default="confirmed", max_length=20)  # confirmed | cancelled
    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()


class LocalBillingClient(TeamScoped, table=True):
    __tablename__ = "local_clients"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    email: str = Field(max_length=254)  # billing address: invoices and reminders go here
    currency: str = Field(default="USD", max_length=3)
    hourly_rate_cents: int = _money()
    company_id: int | None = Field(default=None, foreign_key="local_companies.id")
    created_at: datetime = _stamp()


class LocalTimeEntry(TeamScoped, table=True):
    __tablename__ = "local_time_entries"
    __table_args__ = (Index("ix_local_time_unbilled", "client_id", "invoice_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="local_clients.id")
    person: str = Field(max_length=254)  # the team member's email
    day: date
    minutes: int
    description: str = ""
    invoice_id: int | None = Field(default=None, foreign_key="local_invoices.id", index=True)
    created_at: datetime = _stamp()


class LocalInvoice(TeamScoped, table=True):
    __tablename__ = "local_invoices"
    # each team numbers its own invoices from INV-0001
    __table_args__ = (UniqueConstraint("team_key", "number", name="uq_local_invoices_team_number"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20)  # INV-0001
    client_id: int = Field(foreign_key="local_clients.id", index=True)
    period_start: date
    period_end: date
    issued_on: date
    due_on: date
    amount_cents: int = _money()
    currency: str = Field(default="USD", max_length=3)
    # stored: draft | sent | paid | void; "overdue" is derived (sent, unpaid, past due)
    status: str = Field(default="draft", max_length=10, index=True)
    lines: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paid_on: date | None = None
    created_at: datetime = _stamp()


class LocalPayment(TeamScoped, table=True):
    __tablename__ = "local_payments"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="local_invoices.id", index=True)
    amount_cents: int = _money()
    paid_on: date
    created_at: datetime = _stamp()


class LocalOutbox(TeamScoped, table=True):
    """What Deputy would have emailed: the embedded stand-in for a mail server."""

    __tablename__ = "local_outbox"

    id: int | None = Field(default=None, primary_key=True)
    # invoice | reminder | event_invite | event_update | event_cancel
    kind: str = Field(max_length=20, index=True)
    to: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str
    invoice_id: int | None = Field(default=None, foreign_key="local_invoices.id")
    event_id: int | None = Field(default=None, foreign_key="local_events.id")
    created_at: datetime = _stamp()


class LocalWrite(TeamScoped, table=True):
    """Idempotency ledger: a write's key and its result, committed with the write itself."""

    __tablename__ = "local_writes"

    idempotency_key: str = Field(primary_key=True, max_length=200)
    action: str = Field(max_length=60)
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _stamp()
