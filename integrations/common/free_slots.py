"""Common free time in working hours: a pure function over busy intervals, used by every
calendar integration (local, CalDAV) so they agree on what "free" means."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta, tzinfo

WORK_START = time(9, 0)
WORK_END = time(17, 0)
# slots start on the quarter hour: nobody wants a meeting at 10:07
STEP = timedelta(minutes=15)


def _align(moment: datetime, origin: datetime) -> datetime:
    """The first step boundary (counted from ``origin``) at or after ``moment``."""
    steps = -((origin - moment) // STEP)  # ceiling division on timedeltas
    return origin + max(steps, 0) * STEP


def merge(busy: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Overlapping or touching intervals joined, sorted, in UTC."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted((s.astimezone(UTC), e.astimezone(UTC)) for s, e in busy):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def free_slots(
    busy: Iterable[tuple[datetime, datetime]],
    *,
    after: datetime,
    before: datetime,
    duration: timedelta,
    tz: tzinfo,
    count: int,
) -> list[tuple[datetime, datetime]]:
    """Up to ``count`` slots of ``duration`` in working hours on weekdays in ``tz``,
    between ``after`` and ``before``, overlapping no busy interval. Results are in UTC."""
    intervals = merge(busy)
    after, before = after.astimezone(UTC), before.astimezone(UTC)
    slots: list[tuple[datetime, datetime]] = []
    day = after.astimezone(tz).date()
    last_day = before.astimezone(tz).date()
    while day <= last_day and len(slots) < count:
        if day.weekday() < 5:
            # combine in the local zone, then compute in UTC so DST never skews arithmetic
            opens = datetime.combine(day, WORK_START, tz).astimezone(UTC)
            closes = min(datetime.combine(day, WORK_END, tz).astimezone(UTC), before)
            candidate = _align(max(opens, after), opens)
            while candidate + duration <= closes and len(slots) < count:
                finish = candidate + duration
                clash = next((e for s, e in intervals if s < finish and e > candidate), None)
                if clash is None:
                    slots.append((candidate, finish))
                    candidate = finish
                else:
                    candidate = _align(clash, opens)
        day += timedelta(days=1)
    return slots
