"""Building and reading iCalendar (RFC 5545) events. Pure functions: no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

import icalendar

from bot.sdk import PermanentError, as_aware

PRODID = "-//Deputy//Deputy calendar integration//EN"


@dataclass(frozen=True)
class EventRecord:
    """One event (or one occurrence of a recurring event) as the actions report it."""

    uid: str
    title: str
    start: datetime
    end: datetime
    all_day: bool
    attendees: list[str] = field(default_factory=list)
    location: str = ""
    status: str = "CONFIRMED"
    busy: bool = True  # TRANSP:TRANSPARENT events do not block time
    calendar: str = ""

    @property
    def cancelled(self) -> bool:
        return self.status == "CANCELLED"


def _address(value: Any) -> str:
    text = str(value)
    return text[7:] if text.lower().startswith("mailto:") else text


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def build_event(
    *,
    uid: str,
    title: str,
    start: datetime,
    end: datetime,
    attendees: list[str],
    location: str | None,
    description: str | None,
    organizer: str | None,
) -> str:
    """A VCALENDAR text with one VEVENT. ``start``/``end`` keep their zone as TZID, and the
    VTIMEZONE definitions are embedded so any client reads the same instant (DST included)."""
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("summary", title)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("dtstamp", datetime.now(UTC))
    event.add("sequence", 0)
    event.add("status", "CONFIRMED")
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    if organizer:
        event.add("organizer", icalendar.vCalAddress(f"mailto:{organizer}"))
    for email in attendees:
        attendee = icalendar.vCalAddress(f"mailto:{email}")
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
        attendee.params["RSVP"] = "TRUE"
        event.add("attendee", attendee)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return str(calendar.to_ical().decode())


def _parse(ics: str) -> icalendar.Calendar:
    try:
        return icalendar.Calendar.from_ical(ics)
    except ValueError as err:
        raise PermanentError("calendar: the server returned an unreadable event") from err


def read_events(ics: str, *, calendar: str, tz: tzinfo) -> list[EventRecord]:
    """Every VEVENT in ``ics``; floating and all-day times are read in ``tz``."""
    records = []
    for component in _parse(ics).walk("VEVENT"):
        start_prop = component.get("dtstart")
        if start_prop is None:
            continue
        all_day = not isinstance(start_prop.dt, datetime)
        start = as_aware(start_prop.dt, tz)
        end_prop = component.get("dtend")
        if end_prop is not None:
            end = as_aware(end_prop.dt, tz)
        elif component.get("duration") is not None:
            end = start + component.get("duration").dt
        else:
            end = start  # RFC 5545: no DTEND and no DURATION means a zero-length event
        records.append(
            EventRecord(
                uid=str(component.get("uid", "")),
                title=str(component.get("summary", "")),
                start=start,
                end=end,
                all_day=all_day,
                attendees=[_address(a) for a in _as_list(component.get("attendee"))],
                location=str(component.get("location", "")),
                status=str(component.get("status", "CONFIRMED")).upper(),
                busy=str(component.get("transp", "OPAQUE")).upper() != "TRANSPARENT",
                calendar=calendar,
            )
        )
    return records


def _main_event(calendar: icalendar.Calendar, uid: str) -> icalendar.cal.Component:
    # the master VEVENT (no RECURRENCE-ID) carries the series' time and status
    for component in calendar.walk("VEVENT"):
        if str(component.get("uid", "")) == uid and component.get("recurrence-id") is None:
            return component
    raise PermanentError(f"calendar: event {uid!r} has no main component")


def _touch(event: icalendar.cal.Component) -> None:
    # SEQUENCE is bumped by the client's save; DTSTAMP says when this version was made
    event.pop("dtstamp", None)
    event.add("dtstamp", datetime.now(UTC))


def reschedule(ics: str, uid: str, start: datetime, end: datetime, tz: tzinfo | None) -> str:
    """The same event at a new time, written in ``tz`` or else in the event's own zone."""
    calendar = _parse(ics)
    event = _main_event(calendar, uid)
    if tz is None:
        original = event.get("dtstart").dt
        has_zone = isinstance(original, datetime) and original.tzinfo is not None
        tz = original.tzinfo if has_zone else UTC
    start, end = start.astimezone(tz), end.astimezone(tz)
    for name in ("dtstart", "dtend", "duration"):
        event.pop(name, None)
    event.add("dtstart", start)
    event.add("dtend", end)
    _touch(event)
    calendar.add_missing_timezones()
    return str(calendar.to_ical().decode())


def cancel(ics: str, uid: str) -> str:
    """The event marked STATUS:CANCELLED (RFC 5545/5546), so attendees' clients see it cancelled
    and a repeated cancel finds the same state instead of a missing event."""
    calendar = _parse(ics)
    event = _main_event(calendar, uid)
    event.pop("status", None)
    event.add("status", "CANCELLED")
    _touch(event)
    return str(calendar.to_ical().decode())
