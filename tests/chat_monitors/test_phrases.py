"""Reading the schedule and target out of a goal; anything unclear stays a one-off goal."""

from __future__ import annotations

import pytest

from bot.scheduling.model import PostWhen
from bot.scheduling.phrases import describe, find_schedule


@pytest.mark.parametrize(("goal", "cron", "rest", "channel"), [
    ("every Monday at 9 post the overdue invoices to #finance",
     {"day_of_week": "mon", "hour": "9", "minute": "0"}, "post the overdue invoices", "finance"),
    ("each morning at 8 tell me what's overdue", {"hour": "8", "minute": "0"}, "tell me what's overdue", None),
    ("every evening list unpaid invoices", {"hour": "18", "minute": "0"}, "list unpaid invoices", None),
    ("weekdays at 5:30pm list unpaid invoices here",
     {"day_of_week": "mon-fri", "hour": "17", "minute": "30"}, "list unpaid invoices", None),
    ("daily at noon show overdue invoices in <#C0FIN|finance>",
     {"hour": "12", "minute": "0"}, "show overdue invoices", "C0FIN"),
    ("every Monday and Thursday at 09.30 list invoices",
     {"day_of_week": "mon,thu", "hour": "9", "minute": "30"}, "list invoices", None),
])
def test_cron_phrases(goal: str, cron: dict[str, str], rest: str, channel: str | None) -> None:
    found = find_schedule(goal)
    assert found is not None
    assert (found.schedule.kind, found.schedule.cron) == ("cron", cron)
    assert (found.remainder, found.channel) == (rest, channel)


def test_interval_phrases_and_conditions() -> None:
    found = find_schedule("every 2 hours list unpaid invoices here")
    assert found is not None and found.schedule.seconds == 7200 and found.channel is None
    assert found.remainder == "list unpaid invoices" and found.condition is PostWhen.NON_EMPTY
    changed = find_schedule("every 30 minutes list invoices only when anything changes")
    assert changed is not None and changed.schedule.seconds == 1800
    assert changed.condition is PostWhen.CHANGED and changed.remainder == "list invoices"


@pytest.mark.parametrize("goal", [
    "book a meeting with Alice on Monday at 10",  # a one-off date, not a schedule
    "every Monday post the overdue invoices",  # no time: never guess one
    "invoice every client for last month",
    "every 0 minutes list invoices",
])
def test_goals_without_a_clear_schedule_stay_one_off(goal: str) -> None:
    assert find_schedule(goal) is None


def test_descriptions_read_like_the_request() -> None:
    found = find_schedule("every Monday at 9 list invoices")
    assert found is not None and describe(found.schedule) == "every Monday at 09:00"
    weekdays = find_schedule("weekdays at 8 list invoices")
    assert weekdays is not None and describe(weekdays.schedule) == "weekdays at 08:00"
