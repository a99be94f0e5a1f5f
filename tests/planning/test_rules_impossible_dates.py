"""A day or a time that cannot be one is a question, never dropped: "book with Ben on
February 30 at 10am" used to be planned for the first free slot from now (or for today at
10:00), as if the date had not been written."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain import Clarification, PlanDraft
from bot.settings import load_settings
from bot.store.database import Database
from tests.core.conftest import seeded_app
from tests.planning.rules_common import plan_of
from tests.support.chat import Chat


@pytest.mark.parametrize(("goal", "question"), [
    ("book a meeting with Bob on February 30 at 10am", "There is no “February 30” on the calendar. Which day do you mean?"),
    ("book a meeting with Bob on the 31st of November", "There is no “31st of November” on the calendar."),
    ("book a meeting with Bob on 2026-13-01", "There is no “2026-13-01” on the calendar."),
    ("book a meeting with Bob tomorrow at 25:00", "“25:00” is not a time of day. What time do you mean?"),
    ("book a meeting with Bob tomorrow at 13pm", "“13pm” is not a time of day."),
    ("book a meeting with Bob on 12/10", "Which day is “12/10”? Please write the month in words"),
    ("what is on my calendar on February 30", "There is no “February 30” on the calendar."),
    ("list invoices for February 30", "There is no “February 30” on the calendar."),
    # the clock says 25 November 2026: the coming February has no 29th, the next is in 2028
    ("book a meeting with Bob on Feb 29 at 10am", "There is no 29 February in 2027. Which day do you mean"),
    ("meet Bob on the 29th of February", "There is no 29 February in 2027."),
])
async def test_a_day_or_time_that_cannot_be_one_is_asked_about(goal: str, question: str) -> None:
    outcome = await plan_of(goal)
    assert isinstance(outcome, Clarification), outcome
    assert outcome.question.startswith(question)


@pytest.mark.parametrize("goal", [
    "book a meeting with Bob on Feb 29, 2028 at 10am", "meet Bob on 12 December at 14:30",
    "book a meeting with Bob on 2026-12-31 at 12pm",
])
async def test_real_days_and_times_are_still_planned(goal: str) -> None:
    assert isinstance(await plan_of(goal), PlanDraft)


async def test_in_the_shell_the_question_comes_first_and_a_reply_plans_it(database: Database, tmp_path: Path) -> None:
    app = await seeded_app(database, load_settings(home=tmp_path / "home", timezone="Europe/London"))
    chat = Chat(app, user="Dev")
    answer = await chat.say("book a meeting with Ben on February 30 at 10am")
    assert answer.startswith("? There is no “February 30” on the calendar. Which day do you mean?")
    assert "Plan" not in answer and "Friday" not in answer
    answer = await chat.say("reply make it 30 November")
    assert "Book a 30-minute meeting with Ben on Monday 30 November at 10:00" in answer, answer
    assert "awaiting approval" in answer
