"""Booking meetings and reading the calendar, each in several wordings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain import Clarification
from bot.planning.protocol import KnownPerson
from tests.planning.rules_common import LONDON, PEOPLE, assert_valid, plan_of, shape

FIXED = [
    # goal, names, minutes, start
    ("book a meeting with Alice and Bob next Tuesday at 10am",
     ["Alice Martin", "Bob Chen"], 30, "2026-12-01T10:00:00+00:00"),
    ("set up a call with alice@example.com on Friday at 3pm", ["Alice Martin"], 30, "2026-11-27T15:00:00+00:00"),
    ("meet Bob on 12 December at 14:30 about the roadmap", ["Bob Chen"], 30, "2026-12-12T14:30:00+00:00"),
    ("Schedule a 45 min sync with Carol and Dan tomorrow at 9:15", ["Carol Diaz", "Dan Okafor"], 45,
     "2026-11-26T09:15:00+00:00"),
    ("can you book 1.5 hours with erin on thursday at 2 pm", ["Erin Walsh"], 90, "2026-11-26T14:00:00+00:00"),
    ("arrange a one-hour review with Alice Martin on December 3rd at noon", ["Alice Martin"], 60,
     "2026-12-03T12:00:00+00:00"),
    ("meeting with Dan Okafor and bob@example.com next Friday at 11:00", ["Dan Okafor", "Bob Chen"], 30,
     "2026-12-04T11:00:00+00:00"),
]


@pytest.mark.parametrize(("goal", "names", "minutes", "start"), FIXED)
async def test_a_fixed_time_books_exactly_that_time(goal: str, names: list[str], minutes: int, start: str) -> None:
    draft = assert_valid(await plan_of(goal))
    assert shape(draft) == [("find_people", None), ("create_event", None)]
    assert draft.steps[0].args == {"names": names}
    event = draft.steps[1].args
    assert event["start"] == start
    assert (datetime.fromisoformat(event["end"]) - datetime.fromisoformat(start)).seconds == minutes * 60
    assert event["attendees"] == {"$ref": "s1.emails"}
    assert draft.summary.startswith(f"Book a {minutes if minutes % 60 else minutes // 60}-")


FREE_SLOT = [
    # goal, names, minutes, after, before
    ("schedule 45 minutes with Carol tomorrow afternoon", ["Carol Diaz"], 45,
     "2026-11-26T12:00:00+00:00", "2026-11-26T17:00:00+00:00"),
    ("find the next free slot with Dan and Erin for a 1h sync", ["Dan Okafor", "Erin Walsh"], 60,
     "2026-11-25T10:00:00+00:00", None),
    ("book half an hour with Bob on Monday morning", ["Bob Chen"], 30,
     "2026-11-30T09:00:00+00:00", "2026-11-30T12:00:00+00:00"),
    ("find time with alice and carol next week for 2 hours", ["Alice Martin", "Carol Diaz"], 120,
     "2026-11-30T00:00:00+00:00", "2026-12-07T00:00:00+00:00"),
    ("Set up a catch-up with Erin this afternoon", ["Erin Walsh"], 30,
     "2026-11-25T12:00:00+00:00", "2026-11-25T17:00:00+00:00"),
    ("Let's get Alice, Bob and Carol together for an hour on Thursday", ["Alice Martin", "Bob Chen", "Carol Diaz"],
     60, "2026-11-26T00:00:00+00:00", "2026-11-27T00:00:00+00:00"),
    ("get a 20-minute slot with Dan today", ["Dan Okafor"], 20,
     "2026-11-25T10:00:00+00:00", "2026-11-26T00:00:00+00:00"),
]


@pytest.mark.parametrize(("goal", "names", "minutes", "after", "before"), FREE_SLOT)
async def test_without_a_time_the_first_free_slot_is_booked(
    goal: str, names: list[str], minutes: int, after: str, before: str | None
) -> None:
    draft = assert_valid(await plan_of(goal))
    assert shape(draft) == [("find_people", None), ("find_free_slots", None), ("create_event", None)]
    assert draft.steps[0].args == {"names": names}
    slots = draft.steps[1].args
    assert slots["attendees"] == {"$ref": "s1.emails"}
    assert slots["duration_minutes"] == minutes
    assert slots["after"] == after
    assert slots.get("before") == before
    assert slots["timezone"] == "Europe/London"
    event = draft.steps[2].args
    assert event["start"] == {"$ref": "s2.first.start"} and event["end"] == {"$ref": "s2.first.end"}


async def test_the_summary_names_people_duration_and_time() -> None:
    draft = assert_valid(await plan_of("book a meeting with Alice and Bob next Tuesday at 10am"))
    assert draft.summary == "Book a 30-minute meeting with Alice and Bob on Tuesday 1 December at 10:00"
    assert draft.steps[1].args["title"] == "Meeting with Alice and Bob"


@pytest.mark.parametrize(("goal", "title"), [
    ("meet Bob on 12 December at 14:30 about the roadmap", "Roadmap"),
    ("book a call with Carol tomorrow re: Q1 budget", "Q1 budget"),
    ("find the next free slot with Dan and Erin for a 1h sync", "Sync with Dan and Erin"),
    ("book Alice for 30 minutes tomorrow to discuss hiring plans", "Hiring plans"),
])
async def test_the_title_comes_from_the_topic_or_the_kind_of_meeting(goal: str, title: str) -> None:
    draft = assert_valid(await plan_of(goal))
    assert draft.steps[-1].args["title"] == title


async def test_the_requester_is_invited_when_the_crm_knows_them() -> None:
    draft = assert_valid(await plan_of("book 30 minutes with Bob tomorrow at 11am", requester_name="Alice Martin"))
    assert draft.steps[0].args == {"names": ["Bob Chen", "Alice Martin"]}
    assert "with Bob " in draft.summary


async def test_an_unknown_name_is_a_question_not_a_plan() -> None:
    outcome = await plan_of("book a meeting with Zed Zapp tomorrow")
    assert isinstance(outcome, Clarification) and "I know nobody called Zed Zapp" in outcome.question


async def test_a_full_name_that_fits_nobody_is_never_swapped_for_a_namesake() -> None:
    outcome = await plan_of("book a meeting with Alice Wong tomorrow at 10am")
    assert isinstance(outcome, Clarification)
    assert outcome.question == "I know nobody called Alice Wong. Did you mean Alice Martin?"


@pytest.mark.parametrize("goal", [
    "book a meeting", "schedule a call tomorrow", "set up a meeting next week at 10am",
    "Book a 1h sync", "please arrange a meeting",
])
async def test_a_booking_without_people_asks_who_and_when(goal: str) -> None:
    assert await plan_of(goal) == Clarification(question="Who should be invited, and when?")


async def test_a_first_name_shared_by_two_people_is_asked_about() -> None:
    people = (*PEOPLE, KnownPerson("Alice Wong", "awong@example.com"))
    outcome = await plan_of("book a meeting with Alice tomorrow at 10am", people=people)
    assert isinstance(outcome, Clarification)
    assert outcome.question == "Which Alice do you mean: Alice Martin or Alice Wong?"


async def test_a_time_already_past_today_is_questioned() -> None:
    outcome = await plan_of("book a meeting with Bob today at 9am")
    assert isinstance(outcome, Clarification) and "already passed" in outcome.question


CALENDAR = [
    ("what's on my calendar tomorrow?", "2026-11-26T00:00:00+00:00", "2026-11-27T00:00:00+00:00", None),
    ("list events next week", "2026-11-30T00:00:00+00:00", "2026-12-07T00:00:00+00:00", None),
    ("show my agenda for Friday", "2026-11-27T00:00:00+00:00", "2026-11-28T00:00:00+00:00", None),
    ("What's on the calendar today", "2026-11-25T00:00:00+00:00", "2026-11-26T00:00:00+00:00", None),
    ("show meetings with Carol this week", "2026-11-23T00:00:00+00:00", "2026-11-30T00:00:00+00:00",
     "carol@example.com"),
    ("what meetings do I have tomorrow?", "2026-11-26T00:00:00+00:00", "2026-11-27T00:00:00+00:00", None),
    ("calendar for 3 December", "2026-12-03T00:00:00+00:00", "2026-12-04T00:00:00+00:00", None),
]


@pytest.mark.parametrize(("goal", "start", "end", "attendee"), CALENDAR)
async def test_calendar_reads_list_events_in_the_window(goal: str, start: str, end: str, attendee: str | None) -> None:
    draft = assert_valid(await plan_of(goal))
    assert shape(draft) == [("list_events", None)]
    args = draft.steps[0].args
    assert (args["start"], args["end"], args.get("attendee")) == (start, end, attendee)


async def test_times_are_the_requesters_wall_clock_in_summer_time() -> None:
    june = datetime(2026, 6, 10, 9, 0, tzinfo=LONDON)
    draft = assert_valid(await plan_of("book a meeting with Bob tomorrow at 10am", now=june))
    assert draft.steps[1].args["start"] == "2026-06-11T10:00:00+01:00"


async def test_a_clock_given_in_utc_still_means_the_requesters_today() -> None:
    # London is UTC+1 in June:
    # 23:30 UTC on Wednesday 24 June is 00:30 on Thursday in London, so tomorrow is Friday
    late = datetime(2026, 6, 24, 23, 30, tzinfo=ZoneInfo("UTC"))
    draft = assert_valid(await plan_of("book a meeting with Bob tomorrow at 10am", now=late))
    assert draft.steps[1].args["start"] == "2026-06-26T10:00:00+01:00"
