"""Typed entry points of the embedded integration, one per manifest action.

Arguments arrive already validated against the manifest schema; dates and times are ISO
strings, parsed here. Writes go through ``LocalClient.write`` (idempotency ledger).
The client and context are positional-only because two actions take an argument named
``client`` (a client's name), which the executor passes as a keyword.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from bot.sdk import ActionSet, CallContext, parse_date, parse_datetime, zone, zone_or_utc
from integrations.local import billing, crm, events, receivables, timesheet
from integrations.local.client import LocalClient

actions = ActionSet("local", client_factory=lambda env: LocalClient(env.database, env.clock))

Result = dict[str, Any]


# ---- calendar -----------------------------------------------------------------------

@actions.action("list_events")
async def list_events(local: LocalClient, ctx: CallContext, /, *, start: str, end: str,
                      attendee: str | None = None, title: str | None = None) -> Result:
    tz = zone_or_utc(ctx.timezone)
    window = parse_datetime(start, tz, "start"), parse_datetime(end, tz, "end")
    return await local.read(ctx, lambda s: events.list_events(s, tz, start=window[0], end=window[1],
                                                          attendee=attendee, title=title))


@actions.action("find_event")
async def find_event(local: LocalClient, ctx: CallContext, /, *, title: str | None = None,
                     start: str | None = None, end: str | None = None) -> Result:
    tz = zone_or_utc(ctx.timezone)
    after = parse_datetime(start, tz, "start") if start else None
    before = parse_datetime(end, tz, "end") if end else None
    return await local.read(ctx, lambda s: events.find_event(s, local.now(), tz, title=title, start=after,
                                                         end=before))


@actions.action("find_free_slots")
async def find_free_slots(local: LocalClient, ctx: CallContext, /, *, attendees: list[str],
                          duration_minutes: int, after: str, before: str | None = None,
                          timezone: str = "UTC", count: int = 3) -> Result:
    tz = zone(timezone)
    start = parse_datetime(after, tz, "after")
    until = parse_datetime(before, tz, "before") if before else None
    return await local.read(ctx, lambda s: events.find_free_slots(
        s, tz, attendees=attendees, duration_minutes=duration_minutes, after=start, before=until,
        count=count))


@actions.action("create_event")
async def create_event(local: LocalClient, ctx: CallContext, /, *, title: str, start: str, end: str,
                       attendees: list[str], location: str | None = None) -> Result:
    tz = zone_or_utc(ctx.timezone)
    begins, ends = parse_datetime(start, tz, "start"), parse_datetime(end, tz, "end")
    return await local.write(ctx, "create_event", lambda s: events.create_event(
        s, local.now(), tz, title=title, start=begins, end=ends, attendees=attendees,
        location=location))


@actions.action("move_event")
async def move_event(local: LocalClient, ctx: CallContext, /, *, event_id: int, start: str | None = None,
                     end: str | None = None, at: str | None = None) -> Result:
    tz = zone_or_utc(ctx.timezone)
    begins = parse_datetime(start, tz, "start") if start else None
    ends = parse_datetime(end, tz, "end") if end else None
    clock = time.fromisoformat(at) if at else None
    return await local.write(ctx, "move_event", lambda s: events.move_event(
        s, local.now(), tz, event_id=event_id, start=begins, end=ends, at=clock))


@actions.action("cancel_event")
async def cancel_event(local: LocalClient, ctx: CallContext, /, *, event_id: int) -> Result:
    tz = zone_or_utc(ctx.timezone)
    return await local.write(ctx, "cancel_event", lambda s: events.cancel_event(
        s, local.now(), tz, event_id=event_id))


# ---- CRM ----------------------------------------------------------------------------

@actions.action("find_people")
async def find_people(local: LocalClient, ctx: CallContext, /, *, names: list[str]) -> Result:
    return await local.read(ctx, lambda s: crm.find_people(s, names=names))


@actions.action("search_crm")
async def search_crm(local: LocalClient, ctx: CallContext, /, *, query: str, kind: str = "any") -> Result:
    return await local.read(ctx, lambda s: crm.search_crm(s, query=query, kind=kind))


@actions.action("create_contact")
async def create_contact(local: LocalClient, ctx: CallContext, /, *, name: str, email: str,
                         phone: str | None = None, title: str | None = None,
                         company: str | None = None) -> Result:
    return await local.write(ctx, "create_contact", lambda s: crm.create_contact(
        s, local.now(), name=name, email=email, phone=phone, title=title, company=company))


@actions.action("update_contact")
async def update_contact(local: LocalClient, ctx: CallContext, /, *, contact_id: int,
                         fields: dict[str, Any]) -> Result:
    return await local.write(ctx, "update_contact", lambda s: crm.update_contact(
        s, contact_id=contact_id, fields=fields))


@actions.action("create_company")
async def create_company(local: LocalClient, ctx: CallContext, /, *, name: str,
                         domain: str | None = None) -> Result:
    return await local.write(ctx, "create_company", lambda s: crm.create_company(
        s, local.now(), name=name, domain=domain))


@actions.action("list_deals")
async def list_deals(local: LocalClient, ctx: CallContext, /, *, stage: str = "open",
                     company: str | None = None, amount_above_cents: int | None = None) -> Result:
    return await local.read(ctx, lambda s: crm.list_deals(s, stage=stage, company=company,
                                                      amount_above_cents=amount_above_cents))


@actions.action("update_deal")
async def update_deal(local: LocalClient, ctx: CallContext, /, *, deal_id: int, stage: str | None = None,
                      amount_cents: int | None = None) -> Result:
    return await local.write(ctx, "update_deal", lambda s: crm.update_deal(
        s, local.now(), deal_id=deal_id, stage=stage, amount_cents=amount_cents))


@actions.action("add_note")
async def add_note(local: LocalClient, ctx: CallContext, /, *, subject: str, subject_id: int,
                   body: str) -> Result:
    return await local.write(ctx, "add_note", lambda s: crm.add_note(
        s, local.now(), subject=subject, subject_id=subject_id, body=body, author=ctx.actor.label))


# ---- invoicing ------------------------------------------------------------------------

@actions.action("list_clients")
async def list_clients(local: LocalClient, ctx: CallContext, /) -> Result:
    return await local.read(ctx, billing.list_clients)


@actions.action("unbilled_time")
async def unbilled_time(local: LocalClient, ctx: CallContext, /, *, period_start: str, period_end: str,
                        client: str | None = None, exclude_clients: list[str] | None = None) -> Result:
    start, end = parse_date(period_start, "period_start"), parse_date(period_end, "period_end")
    return await local.read(ctx, lambda s: billing.unbilled_time(
        s, period_start=start, period_end=end, client=client, exclude_clients=exclude_clients))


@actions.action("time_report")
async def time_report(local: LocalClient, ctx: CallContext, /, *, period_start: str, period_end: str,
                      client: str | None = None) -> Result:
    start, end = parse_date(period_start, "period_start"), parse_date(period_end, "period_end")
    return await local.read(ctx, lambda s: timesheet.time_report(s, period_start=start, period_end=end,
                                                             client=client))


@actions.action("log_time")
async def log_time(local: LocalClient, ctx: CallContext, /, *, client: str, minutes: int, day: str,
                   description: str | None = None) -> Result:
    worked = parse_date(day, "day")
    return await local.write(ctx, "log_time", lambda s: timesheet.log_time(
        s, local.now(), local.today(ctx), person=ctx.actor.label, client=client, minutes=minutes,
        day=worked, description=description))


@actions.action("estimate_invoice")
async def estimate_invoice(local: LocalClient, ctx: CallContext, /, *, client_id: int, period_start: str,
                           period_end: str) -> Result:
    start, end = parse_date(period_start, "period_start"), parse_date(period_end, "period_end")
    return await local.read(ctx, lambda s: billing.estimate_invoice(
        s, client_id=client_id, period_start=start, period_end=end))


@actions.action("create_invoice")
async def create_invoice(local: LocalClient, ctx: CallContext, /, *, client_id: int, period_start: str,
                         period_end: str, due_days: int = 30) -> Result:
    start, end = parse_date(period_start, "period_start"), parse_date(period_end, "period_end")
    return await local.write(ctx, "create_invoice", lambda s: billing.create_invoice(
        s, local.now(), local.today(ctx), client_id=client_id, period_start=start,
        period_end=end, due_days=due_days))


@actions.action("get_invoice")
async def get_invoice(local: LocalClient, ctx: CallContext, /, *, invoice_id: int) -> Result:
    return await local.read(ctx, lambda s: receivables.get_invoice(s, local.today(ctx), invoice_id=invoice_id))


@actions.action("send_invoice")
async def send_invoice(local: LocalClient, ctx: CallContext, /, *, invoice_id: int) -> Result:
    return await local.write(ctx, "send_invoice", lambda s: receivables.send_invoice(
        s, local.now(), local.today(ctx), invoice_id=invoice_id))


@actions.action("list_invoices")
async def list_invoices(local: LocalClient, ctx: CallContext, /, *, status: str = "any",
                        client: str | None = None, exclude_clients: list[str] | None = None,
                        overdue_more_than_days: int | None = None,
                        amount_above_cents: int | None = None) -> Result:
    return await local.read(ctx, lambda s: receivables.list_invoices(
        s, local.today(ctx), status=status, client=client, exclude_clients=exclude_clients,
        overdue_more_than_days=overdue_more_than_days, amount_above_cents=amount_above_cents))


@actions.action("send_reminder")
async def send_reminder(local: LocalClient, ctx: CallContext, /, *, invoice_id: int,
                        message: str | None = None) -> Result:
    return await local.write(ctx, "send_reminder", lambda s: receivables.send_reminder(
        s, local.now(), local.today(ctx), invoice_id=invoice_id, message=message))


@actions.action("record_payment")
async def record_payment(local: LocalClient, ctx: CallContext, /, *, invoice_id: int, amount_cents: int,
                         paid_on: str | None = None) -> Result:
    day = parse_date(paid_on, "paid_on") if paid_on else None
    return await local.write(ctx, "record_payment", lambda s: receivables.record_payment(
        s, local.now(), local.today(ctx), invoice_id=invoice_id, amount_cents=amount_cents,
        paid_on=day))


@actions.action("void_invoice")
async def void_invoice(local: LocalClient, ctx: CallContext, /, *, invoice_id: int) -> Result:
    return await local.write(ctx, "void_invoice", lambda s: receivables.void_invoice(
        s, local.today(ctx), invoice_id=invoice_id))
