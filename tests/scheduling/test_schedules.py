"""Cron and interval schedules in the owner's time zone, across Europe/London's clock changes
(last Sunday of March: 01:00 GMT → 02:00 BST; last Sunday of October: 02:00 BST → 01:00 GMT)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.scheduling.model import Schedule
from bot.scheduling.triggers import latest_fire_time, next_fire_times, trigger_for

LONDON = "Europe/London"


def test_weekly_cron_keeps_nine_local_across_the_spring_change() -> None:
    trigger = trigger_for(Schedule.at(day_of_week="mon", hour=9, minute=0), LONDON)
    times = next_fire_times(trigger, datetime(2026, 3, 20, tzinfo=UTC), 2)
    assert [t.astimezone(UTC) for t in times] == [
        datetime(2026, 3, 23, 9, 0, tzinfo=UTC),  # GMT: 09:00 local is 09:00 UTC
        datetime(2026, 3, 30, 8, 0, tzinfo=UTC),  # BST: 09:00 local is 08:00 UTC
    ]


def test_daily_cron_fires_once_on_the_night_the_clock_goes_back() -> None:
    trigger = trigger_for(Schedule.at(hour=1, minute=30), LONDON)
    times = next_fire_times(trigger, datetime(2026, 10, 23, 12, tzinfo=UTC), 4)
    local_days = [t.date() for t in times]
    assert local_days == sorted(set(local_days)), f"a day fired twice: {times}"
    assert times[1].astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST only


def test_daily_cron_in_the_skipped_hour_still_fires_that_day() -> None:
    trigger = trigger_for(Schedule.at(hour=1, minute=30), LONDON)
    times = next_fire_times(trigger, datetime(2026, 3, 28, 12, tzinfo=UTC), 2)
    assert [t.astimezone(UTC).date().day for t in times] == [29, 30]


def test_interval_counts_real_hours_across_both_changes() -> None:
    for day in (datetime(2026, 3, 28, 20, tzinfo=UTC), datetime(2026, 10, 24, 20, tzinfo=UTC)):
        trigger = trigger_for(Schedule.every(7200), LONDON, anchor=day)
        times = next_fire_times(trigger, day - timedelta(seconds=1), 6)
        utc = [t.astimezone(UTC) for t in times]
        gaps = {b - a for a, b in zip(utc, utc[1:], strict=False)}
        assert gaps == {timedelta(hours=2)}


def test_latest_fire_time_finds_the_last_missed_one() -> None:
    trigger = trigger_for(Schedule.at(minute="*/15"), LONDON)
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert latest_fire_time(trigger, start, start + timedelta(minutes=50)) == start + timedelta(minutes=45)
    assert latest_fire_time(trigger, start, start + timedelta(minutes=10)) is None


def test_schedule_round_trips_and_describes_itself() -> None:
    cron = Schedule.at(day_of_week="mon", hour=9)
    assert Schedule.from_json(cron.to_json()) == cron
    assert Schedule.every(5400).describe() == "every 1 h 30 min"
