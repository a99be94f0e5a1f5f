"""Later messages of the thread override what the original goal said."""

from __future__ import annotations

import pytest

from tests.planning.rules_common import assert_valid, plan_of

BOOKING = "book a meeting with Alice and Bob next Tuesday at 10am"


def said(*texts: str) -> tuple[tuple[str, str], ...]:
    return tuple(("Sam Lead", t) for t in texts)


@pytest.mark.parametrize(("replies", "start"), [
    # a bare weekday after "next Tuesday" is that week's: Thursday 3 December, not tomorrow
    (("make it Thursday instead",), "2026-12-03T10:00:00+00:00"),
    (("can we do 2pm?",), "2026-12-01T14:00:00+00:00"),
    (("move it to Friday at 11:30",), "2026-12-04T11:30:00+00:00"),
    (("Thursday instead", "actually 4pm"), "2026-12-03T16:00:00+00:00"),
    (("make it this Thursday",), "2026-11-26T10:00:00+00:00"),
    (("on 2 December please",), "2026-12-02T10:00:00+00:00"),
])
async def test_a_new_day_or_time_replaces_the_original(replies: tuple[str, ...], start: str) -> None:
    draft = assert_valid(await plan_of(BOOKING, history=said(*replies)))
    assert draft.steps[-1].args["start"] == start


async def test_a_new_duration_replaces_the_original() -> None:
    draft = assert_valid(await plan_of("schedule an hour with Carol tomorrow afternoon",
                                       history=said("30 minutes is enough")))
    assert draft.steps[1].args["duration_minutes"] == 30
    assert draft.summary.startswith("Book a 30-minute meeting with Carol")


async def test_a_part_of_day_replaces_a_fixed_time() -> None:
    draft = assert_valid(await plan_of(BOOKING, history=said("any time on Thursday morning is fine")))
    slots = draft.steps[1].args
    assert (slots["after"], slots["before"]) == ("2026-12-03T09:00:00+00:00", "2026-12-03T12:00:00+00:00")


@pytest.mark.parametrize(("replies", "names"), [
    (("add Carol",), ["Alice Martin", "Bob Chen", "Carol Diaz"]),
    (("also invite dan@example.com",), ["Alice Martin", "Bob Chen", "Dan Okafor"]),
    (("without Bob",), ["Alice Martin"]),
    (("actually just Erin",), ["Erin Walsh"]),
    (("add Carol", "drop Alice"), ["Bob Chen", "Carol Diaz"]),
])
async def test_people_are_added_removed_or_replaced(replies: tuple[str, ...], names: list[str]) -> None:
    draft = assert_valid(await plan_of(BOOKING, history=said(*replies)))
    assert draft.steps[0].args == {"names": names}


async def test_deputy_own_messages_are_not_read_as_instructions() -> None:
    history = (("Deputy", "Book a 30-minute meeting with Carol on Friday 27 November at 15:00"),)
    draft = assert_valid(await plan_of(BOOKING, history=history))
    assert draft.steps[0].args == {"names": ["Alice Martin", "Bob Chen"]}
    assert draft.steps[1].args["start"] == "2026-12-01T10:00:00+00:00"


async def test_answering_the_question_completes_the_booking() -> None:
    draft = assert_valid(await plan_of("book a meeting", history=said("Alice and Dan, tomorrow at 2pm")))
    assert draft.steps[0].args == {"names": ["Alice Martin", "Dan Okafor"]}
    assert draft.steps[1].args["start"] == "2026-11-26T14:00:00+00:00"


@pytest.mark.parametrize(("goal", "replies", "clients"), [
    ("invoice all clients for March", ("only Acme",), ["Acme Corp"]),
    ("bill Acme for October", ("add Globex too",), ["Acme Corp", "Globex"]),
    ("bill Acme and Globex for October", ("not Globex",), ["Acme Corp"]),
    ("chase overdue invoices", ("just Globex and Initech",), ["Globex", "Initech"]),
    ("remind Globex about their unpaid invoice", ("Initech instead",), ["Initech"]),
])
async def test_clients_follow_the_thread(goal: str, replies: tuple[str, ...], clients: list[str]) -> None:
    draft = assert_valid(await plan_of(goal, history=said(*replies)))
    reads = [s for s in draft.steps if s.for_each is None]
    assert [s.args["client"] for s in reads] == clients


@pytest.mark.parametrize(("replies", "first", "last", "sends"), [
    (("make it October",), "2026-10-01", "2026-10-31", True),
    (("for last month please",), "2026-10-01", "2026-10-31", True),
    (("don't send them yet",), "2026-03-01", "2026-03-31", False),
    (("drafts only", "and Q2 instead"), "2026-04-01", "2026-06-30", False),
    (("September 2025",), "2025-09-01", "2025-09-30", True),
])
async def test_the_period_and_sending_follow_the_thread(replies: tuple[str, ...], first: str, last: str,
                                                        sends: bool) -> None:
    draft = assert_valid(await plan_of("invoice all clients for March", history=said(*replies)))
    assert draft.steps[0].args == {"period_start": first, "period_end": last}
    assert (draft.steps[-1].action == "local.send_invoice") is sends


async def test_a_missing_period_is_given_in_a_reply() -> None:
    draft = assert_valid(await plan_of("invoice Acme", history=said("for last month")))
    assert draft.steps[0].args == {"period_start": "2026-10-01", "period_end": "2026-10-31", "client": "Acme Corp"}
