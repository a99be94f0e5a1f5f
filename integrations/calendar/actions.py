"""The calendar's typed actions: what the planner may call, over any CalDAV server.

Times in arguments are ISO 8601; one without an offset is wall-clock time in the action's
``timezone`` (default: the requester's). Results carry offsets of that zone.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from bot.sdk import (
    ActionSet,
    CallContext,
    IntegrationEnv,
    InvalidArguments,
    iso,
    parse_datetime,
    zone,
)
from integrations.calendar import ical
from integrations.calendar.client import CalDavClient, FetchedEvent
from integrations.common.addresses import addr_specs
from integrations.common.free_slots import free_slots as find_slots
from integrations.common.free_slots import merge

# the UID of an event created by a step is a function of the step's idempotency key, so a
# retried create finds the event the first try stored instead of making a second one
UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://deputy.invalid/integrations/calendar")
SEARCH_HORIZON = timedelta(days=14)


def _client(env: IntegrationEnv) -> CalDavClient:
    # an operation makes about three requests; together they fit in one step's timeout
    return CalDavClient(timeout_seconds=float(env.settings.step_timeout_seconds) / 3)


actions = ActionSet("calendar", client_factory=_client)


def event_uid(idempotency_key: str) -> str:
    return str(uuid.uuid5(UID_NAMESPACE, idempotency_key))


def _zone(timezone: str | None, ctx: CallContext) -> tzinfo:
    if timezone:
        return zone(timezone)
    try:
        return zone(ctx.timezone)
    except InvalidArguments:
        return ZoneInfo("UTC")  # a platform's odd zone name should not break a read


def _window(start: str, end: str, tz: tzinfo) -> tuple[datetime, datetime]:
    begins, ends = parse_datetime(start, tz, "start"), parse_datetime(end, tz, "end")
    if ends <= begins:
        raise InvalidArguments("end must be after start")
    return begins, ends


def _records(fetched: list[FetchedEvent], tz: tzinfo) -> list[ical.EventRecord]:
    records = [r for f in fetched for r in ical.read_events(f.ics, calendar=f.calendar, tz=tz)]
    return sorted(records, key=lambda r: (r.start, r.title))


def _one(fetched: FetchedEvent, uid: str, tz: tzinfo) -> ical.EventRecord:
    records = [r for r in ical.read_events(fetched.ics, calendar=fetched.calendar, tz=tz) if r.uid == uid]
    return records[0]


def _event(record: ical.EventRecord, tz: tzinfo) -> dict[str, Any]:
    if record.all_day:
        start, end = record.start.date().isoformat(), record.end.date().isoformat()
    else:
        start, end = iso(record.start, tz), iso(record.end, tz)
    return {
        "id": record.uid,
        "title": record.title,
        "start": start,
        "end": end,
        "all_day": record.all_day,
        "attendees": record.attendees,
        "location": record.location,
        "calendar": record.calendar,
        "status": record.status.lower(),
    }


def _span(start: datetime, end: datetime, tz: tzinfo) -> dict[str, str]:
    return {"start": iso(start, tz), "end": iso(end, tz)}


def _blocking(records: list[ical.EventRecord], start: datetime, end: datetime) -> list[ical.EventRecord]:
    return [r for r in records if r.busy and not r.cancelled and r.start < end and r.end > start]


def _emails(values: list[str]) -> list[str]:
    # each becomes an ATTENDEE line of the iCalendar object: one plain address, no line breaks
    return addr_specs(values, "attendees")


@actions.action("list_calendars")
async def list_calendars(client: CalDavClient, ctx: CallContext) -> dict[str, Any]:
    calendars = await client.list_calendars(ctx.credentials)
    return {"calendars": [{"name": c.name, "url": c.url} for c in calendars]}


@actions.action("list_events")
async def list_events(
    client: CalDavClient,
    ctx: CallContext,
    start: str,
    end: str,
    calendar: str | None = None,
    timezone: str | None = None,
    include_cancelled: bool = False,
) -> dict[str, Any]:
    tz = _zone(timezone, ctx)
    begins, ends = _window(start, end, tz)
    records = _records(await client.events(ctx.credentials, begins, ends, calendar), tz)
    shown = [
        r for r in records if r.start < ends and r.end > begins and (include_cancelled or not r.cancelled)
    ]
    return {"timezone": str(tz), "count": len(shown), "events": [_event(r, tz) for r in shown]}


@actions.action("free_busy")
async def free_busy(
    client: CalDavClient,
    ctx: CallContext,
    start: str,
    end: str,
    attendees: list[str] | None = None,
    timezone: str | None = None,
) -> dict[str, Any]:
    tz = _zone(timezone, ctx)
    begins, ends = _window(start, end, tz)
    wanted = _emails(attendees or [])
    blocking = _blocking(_records(await client.events(ctx.credentials, begins, ends, None), tz), begins, ends)
    per_attendee = {
        email: [
            _span(s, e, tz)
            for s, e in merge(
                (r.start, r.end) for r in blocking if email.casefold() in {a.casefold() for a in r.attendees}
            )
        ]
        for email in wanted
    }
    return {
        "timezone": str(tz),
        "start": iso(begins, tz),
        "end": iso(ends, tz),
        "busy": [_span(s, e, tz) for s, e in merge((r.start, r.end) for r in blocking)],
        "attendees": per_attendee,
    }


@actions.action("find_free_slots")
async def find_free_slots(
    client: CalDavClient,
    ctx: CallContext,
    duration_minutes: int,
    after: str,
    attendees: list[str] | None = None,
    before: str | None = None,
    timezone: str | None = None,
    count: int = 3,
) -> dict[str, Any]:
    tz = _zone(timezone, ctx)
    begins = parse_datetime(after, tz, "after")
    ends = parse_datetime(before, tz, "before") if before else begins + SEARCH_HORIZON
    if ends <= begins:
        raise InvalidArguments("before must be after after")
    records = _records(await client.events(ctx.credentials, begins, ends, None), tz)
    busy = [(r.start, r.end) for r in _blocking(records, begins, ends)]
    slots = find_slots(
        busy, after=begins, before=ends, duration=timedelta(minutes=duration_minutes), tz=tz, count=count
    )
    shown = [_span(s, e, tz) for s, e in slots]
    return {
        "timezone": str(tz),
        "attendees": _emails(attendees or []),
        "duration_minutes": duration_minutes,
        "slots": shown,
        "first": shown[0] if shown else None,
    }


@actions.action("create_event")
async def create_event(
    client: CalDavClient,
    ctx: CallContext,
    title: str,
    start: str,
    end: str,
    attendees: list[str],
    location: str | None = None,
    description: str | None = None,
    timezone: str | None = None,
    calendar: str | None = None,
) -> dict[str, Any]:
    tz = _zone(timezone, ctx)
    begins, ends = _window(start, end, tz)
    uid = event_uid(ctx.idempotency_key)
    username = ctx.credentials.get("username", "")
    ics = ical.build_event(
        uid=uid,
        title=title,
        start=begins.astimezone(tz),  # stored with the meeting's zone as TZID
        end=ends.astimezone(tz),
        attendees=_emails(attendees),
        location=location,
        description=description,
        organizer=username if "@" in username else None,
    )
    stored, created = await client.create(ctx.credentials, calendar, uid, ics)
    return {"id": uid, "created": created, "event": _event(_one(stored, uid, tz), tz)}


@actions.action("move_event")
async def move_event(
    client: CalDavClient,
    ctx: CallContext,
    event_id: str,
    start: str,
    end: str,
    timezone: str | None = None,
) -> dict[str, Any]:
    tz = _zone(timezone, ctx)
    begins, ends = _window(start, end, tz)
    keep = zone(timezone) if timezone else None
    before, after = await client.update(
        ctx.credentials, event_id, lambda text: ical.reschedule(text, event_id, begins, ends, keep)
    )
    previous = _one(before, event_id, tz)
    return {
        "id": event_id,
        "event": _event(_one(after, event_id, tz), tz),
        # what `move_event` needs to undo this move
        "previous": {"start": iso(previous.start, tz), "end": iso(previous.end, tz)},
    }


@actions.action("cancel_event")
async def cancel_event(client: CalDavClient, ctx: CallContext, event_id: str) -> dict[str, Any]:
    tz = _zone(None, ctx)
    before, after = await client.update(ctx.credentials, event_id, lambda text: ical.cancel(text, event_id))
    return {
        "id": event_id,
        "cancelled": True,
        "already_cancelled": _one(before, event_id, tz).cancelled,
        "event": _event(_one(after, event_id, tz), tz),
    }
