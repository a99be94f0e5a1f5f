"""Calendar: events in the database, invitations and updates recorded in the outbox."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.sdk import PermanentError, human, iso
from integrations.common.addresses import addr_spec, addr_specs
from integrations.common.free_slots import free_slots
from integrations.local.serialize import event_dict
from integrations.local.tables import LocalEvent, LocalOutbox

# how far ahead a free-slot search looks when no end is given
HORIZON = timedelta(days=14)


def _norm(emails: list[str]) -> set[str]:
    return {e.strip().lower() for e in emails}


async def _overlapping(session: AsyncSession, start: datetime, end: datetime) -> list[LocalEvent]:
    rows = await session.exec(
        select(LocalEvent)
        .where(LocalEvent.status == "confirmed", col(LocalEvent.start) < end, col(LocalEvent.end) > start)
        .order_by(col(LocalEvent.start), col(LocalEvent.id))
    )
    return list(rows.all())


def _titled(events: list[LocalEvent], words: str) -> list[LocalEvent]:
    """Events whose title holds every word of ``words`` (any order, any case)."""
    wanted = words.lower().split()
    return [e for e in events if all(w in e.title.lower() for w in wanted)]


async def list_events(session: AsyncSession, tz: tzinfo, *, start: datetime, end: datetime,
                      attendee: str | None, title: str | None = None) -> dict[str, Any]:
    if end <= start:
        raise PermanentError("The window's end must be after its start.")
    events = await _overlapping(session, start, end)
    if attendee:
        who = addr_spec(attendee, "attendee").lower()
        events = [e for e in events if who in _norm(e.attendees)]
    if title:
        events = _titled(events, title)
    return {"events": [event_dict(e, tz) for e in events], "count": len(events)}


async def find_event(session: AsyncSession, now: datetime, tz: tzinfo, *, title: str | None,
                     start: datetime | None, end: datetime | None) -> dict[str, Any]:
    """The one event meant: starting in [start, end) (default: the next 14 days), titled so."""
    after = start or now
    before = end or (after + timedelta(minutes=1) if start and not title else after + HORIZON)
    rows = await session.exec(
        select(LocalEvent)
        .where(LocalEvent.status == "confirmed", col(LocalEvent.start) >= after, col(LocalEvent.start) < before)
        .order_by(col(LocalEvent.start), col(LocalEvent.id)))
    found = list(rows.all())
    if title:
        found = _titled(found, title)
    what = f"\u201c{title}\u201d" if title else "an event"
    window = f"between {human(after, tz)} and {human(before, tz)}"
    if not found:
        raise PermanentError(f"I found no {what} starting {window}.")
    if len(found) > 1 and not (title and start is None and _same_series(found)):
        listed = "; ".join(f"{e.title} ({human(e.start, tz)})" for e in found[:5])
        raise PermanentError(f"Several events fit {what} {window}: {listed}. Say which one.")
    # a recurring title with no day named means the next one
    event = found[0]
    return {"event": event_dict(event, tz), "id": event.id}


def _same_series(events: list[LocalEvent]) -> bool:
    return len({e.title.lower() for e in events}) == 1


async def find_free_slots(session: AsyncSession, tz: tzinfo, *, attendees: list[str],
                          duration_minutes: int, after: datetime, before: datetime | None,
                          count: int) -> dict[str, Any]:
    until = before or after + HORIZON
    if until <= after:
        raise PermanentError("`before` must be later than `after`.")
    wanted = _norm(addr_specs(attendees, "attendees"))
    busy = [(e.start, e.end) for e in await _overlapping(session, after, until)
            if wanted & _norm(e.attendees)]
    found = free_slots(busy, after=after, before=until, duration=timedelta(minutes=duration_minutes),
                       tz=tz, count=count)
    if not found:
        raise PermanentError(
            f"No {duration_minutes}-minute slot when {', '.join(sorted(wanted))} are all free "
            f"between {human(after, tz)} and {human(until, tz)} (working hours 09:00-17:00, weekdays)."
        )
    slots = [{"start": iso(s, tz), "end": iso(e, tz)} for s, e in found]
    return {"slots": slots, "first": slots[0]}


def _check_times(start: datetime, end: datetime) -> None:
    if end <= start:
        raise PermanentError("An event must end after it starts.")
    if end - start > timedelta(days=7):
        raise PermanentError("An event cannot last longer than a week.")


def _mail(event: LocalEvent, kind: str, subject: str, body: str, now: datetime) -> list[LocalOutbox]:
    # checked again on the way out: a row stored before addresses were validated sends nothing
    return [LocalOutbox(kind=kind, to=addr_spec(who, f"attendee of event {event.id}"), subject=subject, body=body, event_id=event.id, created_at=now)
            for who in event.attendees]


async def create_event(session: AsyncSession, now: datetime, tz: tzinfo, *, title: str,
                       start: datetime, end: datetime, attendees: list[str],
                       location: str | None) -> dict[str, Any]:
    _check_times(start, end)
    unique = list(dict.fromkeys(addr_specs(attendees, "attendees")))
    event = LocalEvent(title=title.strip(), start=start, end=end, attendees=unique,
                       location=location, created_at=now, updated_at=now)
    session.add(event)
    await session.flush()
    where = f"\nWhere: {location}" if location else ""
    session.add_all(_mail(event, "event_invite", f"Invitation: {event.title} - {human(start, tz)}",
                          f"You are invited to {event.title}.\nWhen: {human(start, tz)} to "
                          f"{end.astimezone(tz):%H:%M}{where}", now))
    return {"event": event_dict(event, tz), "id": event.id}


async def _live_event(session: AsyncSession, event_id: int) -> LocalEvent:
    event = await session.get(LocalEvent, event_id)
    if event is None:
        raise PermanentError(f"There is no event with id {event_id}.")
    if event.status == "cancelled":
        raise PermanentError(f"Event {event_id} ({event.title}) is already cancelled.")
    return event


async def move_event(session: AsyncSession, now: datetime, tz: tzinfo, *, event_id: int,
                     start: datetime | None, end: datetime | None, at: time | None) -> dict[str, Any]:
    event = await _live_event(session, event_id)
    if start is None and at is None:
        raise PermanentError("Say when the event should move to: a new start, or a time of day (at).")
    if start is None:
        assert at is not None
        start = datetime.combine(event.start.astimezone(tz).date(), at, tz)
    if end is None:
        end = start + (event.end - event.start)
    _check_times(start, end)
    previous = {"start": iso(event.start, tz), "end": iso(event.end, tz)}
    old_start = event.start
    event.start, event.end, event.updated_at = start, end, now
    session.add(event)
    session.add_all(_mail(event, "event_update", f"Moved: {event.title} - now {human(start, tz)}",
                          f"{event.title} moved from {human(old_start, tz)} to {human(start, tz)}.",
                          now))
    return {"event": event_dict(event, tz), "previous": previous}


async def cancel_event(session: AsyncSession, now: datetime, tz: tzinfo, *,
                       event_id: int) -> dict[str, Any]:
    event = await _live_event(session, event_id)
    event.status, event.updated_at = "cancelled", now
    session.add(event)
    session.add_all(_mail(event, "event_cancel", f"Cancelled: {event.title} - {human(event.start, tz)}",
                          f"{event.title} on {human(event.start, tz)} is cancelled.", now))
    return {"event": event_dict(event, tz)}
