"""Working-hours slot finding, alone: weekends, busy time, daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from integrations.common.free_slots import free_slots, merge

LONDON = ZoneInfo("Europe/London")


def test_working_hours_follow_the_clock_change() -> None:
    # Friday 27 March 2026 is on GMT, Monday 30 March on BST (the clocks went forward on the 29th)
    slots = free_slots(
        [], after=datetime(2026, 3, 27, 16, 30, tzinfo=LONDON), before=datetime(2026, 4, 1, tzinfo=UTC),
        duration=timedelta(minutes=30), tz=LONDON, count=2,
    )  # fmt: skip
    assert [s.astimezone(LONDON).isoformat() for s, _ in slots] == [
        "2026-03-27T16:30:00+00:00",
        "2026-03-30T09:00:00+01:00",
    ]


def test_busy_time_is_skipped_and_slots_start_on_the_quarter_hour() -> None:
    day = datetime(2026, 3, 2, tzinfo=LONDON)
    busy = [(day.replace(hour=9), day.replace(hour=10, minute=5)), (day.replace(hour=10, minute=50), day.replace(hour=12))]
    slots = free_slots(busy, after=day, before=day + timedelta(days=1), duration=timedelta(minutes=30), tz=LONDON, count=2)
    assert [(s.astimezone(LONDON).strftime("%H:%M"), e.astimezone(LONDON).strftime("%H:%M")) for s, e in slots] == [
        ("10:15", "10:45"),
        ("12:00", "12:30"),
    ]


def test_merge_joins_overlapping_and_touching_intervals() -> None:
    t = datetime(2026, 3, 2, 9, tzinfo=UTC)
    hour = timedelta(hours=1)
    assert merge([(t + 2 * hour, t + 3 * hour), (t, t + hour), (t + hour, t + 2 * hour), (t + 5 * hour, t + 6 * hour)]) == [
        (t, t + 3 * hour),
        (t + 5 * hour, t + 6 * hour),
    ]
