"""Cancelling every event of a day or a week. "cancel all my meetings tomorrow" used to be
answered "I understood “Cancel “all meetings” tomorrow”, but not “meetings”" (it read "all
meetings" as one event's title), and "call off everything next week" looked for an event
called "everything week". The plan now lists the events, so the card's preview shows
exactly which ones would be cancelled, and cancels each of them after approval."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain import CannotPlan, Clarification
from bot.settings import load_settings
from bot.store.database import Database
from tests.core.conftest import seeded_app
from tests.planning.rules_common import assert_valid, plan_of, shape
from tests.support.chat import Chat


@pytest.mark.parametrize(("goal", "start", "end", "summary"), [
    ("cancel all meetings tomorrow", "2026-11-26T00:00:00+00:00", "2026-11-27T00:00:00+00:00",
     "Cancel every calendar event for tomorrow (Thursday 26 November)"),
    ("cancel tomorrow's meetings", "2026-11-26T00:00:00+00:00", "2026-11-27T00:00:00+00:00",
     "Cancel every calendar event for tomorrow (Thursday 26 November)"),
    ("cancel everything on Friday", "2026-11-27T00:00:00+00:00", "2026-11-28T00:00:00+00:00",
     "Cancel every calendar event for Friday 27 November"),
    ("call off everything next week", "2026-11-30T00:00:00+00:00", "2026-12-07T00:00:00+00:00",
     "Cancel every calendar event for next week"),
    ("cancel everything tomorrow afternoon", "2026-11-26T12:00:00+00:00", "2026-11-26T17:00:00+00:00",
     "Cancel every calendar event for tomorrow (Thursday 26 November) afternoon"),
])
async def test_every_event_of_a_day_is_listed_then_each_cancelled(goal: str, start: str, end: str, summary: str) -> None:
    draft = assert_valid(await plan_of(goal))
    assert shape(draft) == [("list_events", None), ("cancel_event", "s1.events")]
    assert draft.steps[0].args == {"start": start, "end": end}
    assert draft.steps[1].args == {"event_id": {"$ref": "item.id"}}
    assert draft.summary == summary


async def test_my_meetings_are_only_the_requesters_own() -> None:
    draft = assert_valid(await plan_of("cancel all my meetings tomorrow", requester_name="Bob Chen"))
    assert draft.steps[0].args["attendee"] == "bob@example.com"
    assert draft.summary == "Cancel every calendar event Bob Chen attends for tomorrow (Thursday 26 November)"


async def test_my_meetings_of_a_requester_with_no_known_address_is_a_question() -> None:
    # the whole team's calendar would be cancelled otherwise
    outcome = await plan_of("cancel all my meetings tomorrow")  # Sam Lead: no known person
    assert isinstance(outcome, Clarification), outcome
    assert outcome.question.startswith("Whose events should I cancel?")


async def test_only_the_events_with_the_person_named() -> None:
    draft = assert_valid(await plan_of("cancel my meetings with Bob tomorrow"))
    assert draft.steps[0].args["attendee"] == "bob@example.com"
    assert draft.summary == "Cancel every calendar event with Bob for tomorrow (Thursday 26 November)"


@pytest.mark.parametrize("goal", ["cancel all meetings", "cancel all meetings with Bob"])
async def test_without_a_day_it_asks_which(goal: str) -> None:
    outcome = await plan_of(goal)
    assert isinstance(outcome, Clarification), outcome
    assert outcome.question.startswith("Which day's (or week's) events should I cancel?")


@pytest.mark.parametrize(("goal", "named"), [
    ("cancel my meetings except the standup tomorrow", "“except”, “standup”"),
    ("cancel all my calls on Friday", "“calls”"),  # only calls: the plan would cancel every event
])
async def test_a_narrower_set_than_every_event_is_named_not_planned(goal: str, named: str) -> None:
    outcome = await plan_of(goal, requester_name="Bob Chen")
    assert isinstance(outcome, CannotPlan), outcome
    assert f"but not {named} in your goal" in outcome.message


async def test_moving_many_events_is_an_honest_answer() -> None:
    outcome = await plan_of("move all my meetings tomorrow to Friday")
    assert isinstance(outcome, CannotPlan), outcome
    assert outcome.message.startswith("I can move one event at a time without Claude")


async def test_one_named_event_is_still_found_then_cancelled() -> None:
    draft = assert_valid(await plan_of("cancel the standup tomorrow"))
    assert shape(draft) == [("find_event", None), ("cancel_event", None)]


async def test_in_the_shell_the_card_names_every_event_before_approval(database: Database, tmp_path: Path) -> None:
    app = await seeded_app(database, load_settings(home=tmp_path / "home", timezone="Europe/London"))
    answer = await Chat(app, user="Dev").say("cancel all my meetings tomorrow")
    assert "Cancel every calendar event Dev Patel attends for tomorrow (Thursday 26 November)" in answer, answer
    assert "awaiting approval" in answer and "Needs 1 approval" in answer
    # of the demo team's three events of 26 November, the one Dev is in, named before anyone
    # approves; the workshop and Ana and Chloe's 1:1 are not Dev's to cancel
    assert "List calendar events Dev Patel attends tomorrow (Thursday 26 November): 1 event" in answer
    assert "Thu 26 Nov 09:30 \u00b7 Daily standup" in answer
    assert "Globex brand workshop" not in answer and "1:1 Ana / Chloe" not in answer
