"""Time helpers for integrations: IANA zones and the ISO 8601 values actions take and return.

A value without an offset is wall-clock time in the zone the caller names (usually the
requester's); every helper raises :class:`InvalidArguments` with a message a person can act on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import InvalidArguments


def zone(name: str) -> ZoneInfo:
    """The named IANA time zone, or a clear error naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InvalidArguments(f"Unknown time zone {name!r}; use a name like 'Europe/Berlin'.") from err


def zone_or_utc(name: str) -> ZoneInfo:
    """The caller's own zone; a platform that reports a bad one should not break a read."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_datetime(value: str, tz: tzinfo, field: str = "time") -> datetime:
    """An aware datetime; a value without an offset is wall-clock time in ``tz``."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as err:
        raise InvalidArguments(f"{field} {value!r} is not an ISO 8601 date-time.") from err
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


def parse_date(value: str, field: str = "date") -> date:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError as err:
        raise InvalidArguments(f"{field} {value!r} is not an ISO 8601 date (YYYY-MM-DD).") from err


def as_aware(value: datetime | date, tz: tzinfo) -> datetime:
    """A date (all day) or a floating time as an aware datetime, read in ``tz``."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tz)
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def iso(moment: datetime, tz: tzinfo) -> str:
    """ISO 8601 with the offset ``tz`` has at that moment (DST included)."""
    return moment.astimezone(tz).isoformat()


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def human(moment: datetime, tz: tzinfo) -> str:
    """'Mon 2 Mar 2026, 10:00 (Europe/Berlin)', for text a person reads."""
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({tz})"
