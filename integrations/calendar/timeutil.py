"""Parsing and rendering the ISO 8601 values the calendar actions take and return."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import InvalidArguments


def zone(name: str) -> ZoneInfo:
    """The named IANA time zone, or a clear error naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InvalidArguments(
            f"Unknown time zone {name!r}; use a name like 'Europe/Berlin'."
        ) from err


def parse_datetime(value: str, tz: tzinfo, field: str) -> datetime:
    """An aware datetime; a value without an offset is wall-clock time in ``tz``."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as err:
        raise InvalidArguments(f"{field} {value!r} is not an ISO 8601 date-time.") from err
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


def as_aware(value: datetime | date, tz: tzinfo) -> datetime:
    """iCalendar values as aware datetimes: all-day dates and floating times are read in ``tz``."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tz)
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def iso(moment: datetime, tz: tzinfo) -> str:
    """ISO 8601 with the offset ``tz`` has at that moment (DST included)."""
    return moment.astimezone(tz).isoformat()


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
