"""The date, time and duration phrases the rule planner understands."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.planning.rules import when
from tests.planning.rules_common import NOW

TODAY = NOW.date()  # Wednesday 25 November 2026


@pytest.mark.parametrize(("text", "first", "last"), [
    ("for March", date(2026, 3, 1), date(2026, 3, 31)),
    ("for November", date(2026, 11, 1), date(2026, 11, 30)),
    ("for December", date(2025, 12, 1), date(2025, 12, 31)),
    ("for February 2024", date(2024, 2, 1), date(2024, 2, 29)),
    ("last month", date(2026, 10, 1), date(2026, 10, 31)),
    ("for Oct", date(2026, 10, 1), date(2026, 10, 31)),
    ("last quarter", date(2026, 7, 1), date(2026, 9, 30)),
    ("last week", date(2026, 11, 16), date(2026, 11, 22)),
])
def test_periods(text: str, first: date, last: date) -> None:
    span = when.find_period(text, TODAY)
    assert span is not None and (span.start, span.end) == (first, last)


def test_last_month_in_january_is_last_december() -> None:
    span = when.find_period("last month", date(2027, 1, 15))
    assert span is not None and (span.start, span.end) == (date(2026, 12, 1), date(2026, 12, 31))


@pytest.mark.parametrize(("text", "day"), [
    ("tomorrow", date(2026, 11, 26)),
    ("the day after tomorrow", date(2026, 11, 27)),
    ("on Friday", date(2026, 11, 27)),
    ("next Friday", date(2026, 12, 4)),
    ("next Tuesday", date(2026, 12, 1)),
    ("Wednesday", date(2026, 12, 2)),
    ("12 December", date(2026, 12, 12)),
    ("January 5th", date(2027, 1, 5)),
    ("in 3 days", date(2026, 11, 28)),
    ("2027-02-01", date(2027, 2, 1)),
])
def test_days(text: str, day: date) -> None:
    found = when.find_day(text, NOW, "Europe/London")
    assert found is not None and found.day == day


@pytest.mark.parametrize(("text", "clock"), [
    ("at 10am", time(10)), ("3 pm", time(15)), ("14:30", time(14, 30)), ("10.30am", time(10, 30)),
    ("at noon", time(12)), ("at 3", time(15)), ("at 11", time(11)), ("12am", time(0)),
])
def test_times(text: str, clock: time) -> None:
    assert when.find_clock(text) == clock


@pytest.mark.parametrize("text", ["on 12 December", "+44 20 7946 0000", "for 2 hours", "Q3 2026"])
def test_things_that_are_not_times(text: str) -> None:
    assert when.find_clock(text) is None


@pytest.mark.parametrize(("text", "minutes"), [
    ("45 minutes", 45), ("1h", 60), ("1h30", 90), ("an hour and a half", 90), ("half an hour", 30),
    ("a 90-minute review", 90), ("two hours", 120), ("1.5 hrs", 90), ("20 min", 20), ("an hour", 60),
])
def test_durations(text: str, minutes: int) -> None:
    assert when.find_duration(text) == minutes
