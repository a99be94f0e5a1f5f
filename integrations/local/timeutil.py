"""Parsing and rendering of the ISO 8601 values the actions take and return."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import PermanentError


def zone(name: str) -> ZoneInfo:
    """The named IANA time zone, or a clear error naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise PermanentError(f"Unknown time zone {name!r}; use a name like 'Europe/Berlin'.") from err


def zone_or_utc(name: str) -> ZoneInfo:
    """The caller's own zone; a platform that reports a bad one should not break a read."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_datetime(value: str, tz: tzinfo, field: str = "time") -> datetime:
    """An aware datetime; a value without an offset is read in ``tz`` (the caller's zone)."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as err:
        raise PermanentError(f"{field} {value!r} is not an ISO 8601 date-time.") from err
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


def parse_date(value: str, field: str = "date") -> date:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError as err:
        raise PermanentError(f"{field} {value!r} is not an ISO 8601 date (YYYY-MM-DD).") from err


def iso(moment: datetime, tz: tzinfo) -> str:
    """ISO 8601 with the offset of ``tz`` (what a person in that zone reads)."""
    return moment.astimezone(tz).isoformat()


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def human(moment: datetime, tz: tzinfo) -> str:
    """'Mon 2 Mar 2026, 10:00 (Europe/Berlin)' for emails in the outbox."""
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({tz})"
