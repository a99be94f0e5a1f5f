"""A small, realistic demo agency, dated relative to ``today`` so it always looks current.

`seed` loads: the agency's own team, five clients with contacts, deals and notes, time
entries from the start of the month before last until yesterday (the oldest month already
invoiced: three invoices overdue, one paid, one sent and not yet due), and a busy calendar
for the next ten working days. Loading it twice is refused rather than duplicated.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.sdk import LOCAL_TEAM, PermanentError, zone
from integrations.local.billing import draft_invoice
from integrations.local.tables import (
    LocalBillingClient,
    LocalCompany,
    LocalContact,
    LocalDeal,
    LocalEvent,
    LocalNote,
    LocalPayment,
    LocalTimeEntry,
)

AGENCY = "Deputy Demo Agency"
TEAM = [  # name, email, title
    ("Ana Lima", "ana@demo-agency.example", "Managing Director"),
    ("Ben Okafor", "ben@demo-agency.example", "Designer"),
    ("Chloe Martin", "chloe@demo-agency.example", "Developer"),
    ("Dev Patel", "dev@demo-agency.example", "Project Manager"),
    ("Emma Svensson", "emma@demo-agency.example", "Account Manager"),
]
# company, domain, billing email, currency, hourly rate (cents), contacts (name, email, title)
CLIENTS: list[tuple[str, str, str, str, int, list[tuple[str, str, str]]]] = [
    ("Acme Corp", "acme.example", "billing@acme.example", "USD", 15000,
     [("Maria Gonzalez", "maria@acme.example", "CTO"), ("Julia Weber", "julia@acme.example", "Finance Lead")]),
    ("Globex", "globex.example", "ap@globex.example", "USD", 12000,
     [("Tom Becker", "tom@globex.example", "Head of Procurement")]),
    ("Initech", "initech.example", "invoices@initech.example", "USD", 13500,
     [("Peter Gibbons", "peter@initech.example", "Product Owner")]),
    ("Umbrella Health", "umbrella-health.example", "finance@umbrella-health.example", "USD", 16000,
     [("Alice Wong", "alice@umbrella-health.example", "Director of Digital")]),
    ("Stark Logistics", "stark-logistics.example", "payables@stark-logistics.example", "USD", 14000,
     [("Sam Rivera", "sam@stark-logistics.example", "COO"), ("Omar Haddad", "omar@stark-logistics.example", "IT Manager")]),
]
DEALS = [  # company index, name, amount (cents), stage
    (0, "Acme Corp - platform rebuild", 4_800_000, "negotiation"),
    (1, "Globex - brand refresh", 1_800_000, "proposal"),
    (2, "Initech - support retainer", 960_000, "won"),
    (3, "Umbrella Health - patient portal", 7_500_000, "qualified"),
    (4, "Stark Logistics - tracking app", 3_200_000, "lead"),
]
NOTES = [
    ("company", 0, "Maria wants a phased rollout; budget sign-off expected end of month."),
    ("company", 1, "Tom asked for two design directions before committing."),
    ("deal", 3, "Compliance review (HIPAA) needed before the statement of work."),
    ("company", 4, "Sam prefers calls on Thursdays; Omar owns the technical decisions."),
]
WORK = ["Design", "Development", "Workshop", "Project management", "QA and fixes", "Research"]
# invoices for the month before last: (client index, days until due, paid?, days before today issued)
INVOICES = [(0, 14, False, None), (1, 21, False, None), (2, 7, False, None),
            (3, 14, True, None), (4, 30, False, 3)]


_ONE = {"companies": "company", "time_entries": "time entry", "entries": "entry"}


def loaded(counts: dict[str, int]) -> str:
    """``seed``'s counts in words: "180 time entries, 1 payment" (not its table names)."""
    def noun(table: str, count: int) -> str:
        return table.replace("_", " ") if count != 1 else _ONE.get(table, table.removesuffix("s").replace("_", " "))

    return ", ".join(f"{count} {noun(table, count)}" for table, count in counts.items())


def _month_start(day: date, back: int) -> date:
    month = day.month - back
    year = day.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def _weekdays(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)
            if (start + timedelta(days=i)).weekday() < 5]


async def seed(database: Any, today: date, timezone: str = "UTC", team: str = LOCAL_TEAM) -> dict[str, int]:
    """Load the demo into ``team``'s data (the shell's); returns how many rows of each kind
    it created."""
    tz = zone(timezone)
    now = datetime.now(UTC)
    async with database.session(team=team) as session:
        if (await session.exec(select(LocalCompany).where(LocalCompany.name == AGENCY))).first():
            raise PermanentError("demo data already loaded")
        counts = await _crm(session, now)
        clients = await _clients(session, now)
        counts["clients"] = len(clients)
        counts["time_entries"] = await _time(session, now, today, clients)
        counts["invoices"], counts["payments"] = await _invoices(session, now, today, clients)
        counts["events"] = await _calendar(session, now, today, tz)
    return counts


async def _crm(session: AsyncSession, now: datetime) -> dict[str, int]:
    agency = LocalCompany(name=AGENCY, domain="demo-agency.example", created_at=now)
    companies = [LocalCompany(name=c[0], domain=c[1], created_at=now) for c in CLIENTS]
    session.add_all([agency, *companies])
    await session.flush()
    contacts = [LocalContact(name=n, email=e, title=t, company_id=agency.id, created_at=now)
                for n, e, t in TEAM]
    for company, spec in zip(companies, CLIENTS, strict=True):
        contacts += [LocalContact(name=n, email=e, title=t, company_id=company.id, created_at=now)
                     for n, e, t in spec[5]]
    deals = [LocalDeal(name=name, company_id=companies[i].id, amount_cents=amount, stage=stage,
                       created_at=now, updated_at=now) for i, name, amount, stage in DEALS]
    session.add_all([*contacts, *deals])
    await session.flush()
    notes = [LocalNote(subject=kind, subject_id=(companies[i].id if kind == "company" else deals[i].id) or 0,
                       body=body, author="Ana Lima", created_at=now) for kind, i, body in NOTES]
    session.add_all(notes)
    return {"companies": len(companies) + 1, "contacts": len(contacts), "deals": len(deals),
            "notes": len(notes)}


async def _clients(session: AsyncSession, now: datetime) -> list[LocalBillingClient]:
    companies = {c.name: c.id for c in (await session.exec(select(LocalCompany))).all()}
    clients = [LocalBillingClient(name=n, email=mail, currency=cur, hourly_rate_cents=rate,
                                  company_id=companies[n], created_at=now)
               for n, _domain, mail, cur, rate, _people in CLIENTS]
    session.add_all(clients)
    await session.flush()
    return clients


async def _time(session: AsyncSession, now: datetime, today: date,
                clients: list[LocalBillingClient]) -> int:
    entries = []
    for day in _weekdays(_month_start(today, 2), today - timedelta(days=1)):
        for i, (_name, email, _title) in enumerate(TEAM[1:]):
            pick = day.toordinal() + i
            entries.append(LocalTimeEntry(
                client_id=clients[pick % len(clients)].id or 0, person=email, day=day,
                minutes=60 * (2 + pick % 4) + 30 * (pick % 2), description=WORK[pick % len(WORK)],
                created_at=now))
    session.add_all(entries)
    await session.flush()
    return len(entries)


async def _invoices(session: AsyncSession, now: datetime, today: date,
                    clients: list[LocalBillingClient]) -> tuple[int, int]:
    period_start = _month_start(today, 2)
    period_end = _month_start(today, 1) - timedelta(days=1)
    payments = 0
    for index, due_days, paid, issued_ago in INVOICES:
        issued = today - timedelta(days=issued_ago) if issued_ago else _month_start(today, 1)
        invoice = await draft_invoice(session, now, client=clients[index], period_start=period_start,
                                      period_end=period_end, issued_on=issued, due_days=due_days)
        invoice.status, invoice.sent_at = "sent", datetime.combine(issued, time(9), UTC)
        if paid:
            invoice.status, invoice.paid_on = "paid", issued + timedelta(days=10)
            session.add(LocalPayment(invoice_id=invoice.id or 0, amount_cents=invoice.amount_cents,
                                     paid_on=invoice.paid_on, created_at=now))
            payments += 1
        session.add(invoice)
    await session.flush()
    return len(INVOICES), payments


Meeting = tuple[str, str, str, list[str], str | None]


def _agenda(slot: int) -> list[Meeting]:
    """(title, start, end, attendees, location) for one weekday of a five-day rota."""
    team = [e for _n, e, _t in TEAM]
    ana, ben, chloe, dev, emma = team
    standup: Meeting = ("Daily standup", "09:30", "09:45", team, "Video call")
    rota: list[list[Meeting]] = [
        [("Acme Corp weekly sync", "10:00", "11:00", [ana, dev, "maria@acme.example"], "Video call"),
         ("Design review", "14:00", "15:30", [ben, chloe, dev], "Studio")],
        [("Globex brand workshop", "11:00", "12:00", [ana, emma, ben, "tom@globex.example"], "Globex HQ"),
         ("1:1 Ana / Chloe", "15:00", "15:30", [ana, chloe], None)],
        [("Initech roadmap workshop", "09:45", "12:30", [dev, chloe, "peter@initech.example"], "Initech office"),
         ("Umbrella Health check-in", "13:00", "13:30", [emma, "alice@umbrella-health.example"], "Video call")],
        [("Stark Logistics delivery review", "10:00", "11:30", [ana, dev, "sam@stark-logistics.example"], "Video call"),
         ("Team lunch", "12:00", "13:00", team, "Cafe Central"),
         ("Sprint planning", "14:00", "16:00", [ben, chloe, dev], "Studio")],
        [("Pipeline review", "11:00", "12:00", [ana, emma], None),
         ("Retro", "16:00", "16:45", team, "Studio")],
    ]
    return [standup, *rota[slot % len(rota)]]


async def _calendar(session: AsyncSession, now: datetime, today: date, tz: Any) -> int:
    days: list[date] = []
    day = today
    while len(days) < 10:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    events = []
    for n, day in enumerate(days):
        for title, start, end, attendees, location in _agenda(n):
            events.append(LocalEvent(
                title=title, attendees=attendees, location=location, created_at=now, updated_at=now,
                start=datetime.combine(day, time.fromisoformat(start), tz),
                end=datetime.combine(day, time.fromisoformat(end), tz)))
    session.add_all(events)
    return len(events)
