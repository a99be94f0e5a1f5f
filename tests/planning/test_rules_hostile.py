"""Goals worded unlike the examples, from a new user's walkthrough (session 11). Each of
these used to be planned as something other than what was asked; each is now planned as
asked or answered honestly (the README's "What the offline planner refuses")."""

from __future__ import annotations

import pytest

from bot.domain import CannotPlan
from tests.planning.rules_common import assert_valid, plan_of, shape


@pytest.mark.parametrize(("goal", "answer"), [
    # the negation takes back what the goal asked for: "remind Globex but not Globex" reminded Globex
    ("remind Globex but not Globex", "You asked for Globex and also to leave Globex out (“but not”)."),
    ("email Acme and not Acme", "You asked for Acme Corp and also to leave Acme Corp out (“and not”)."),
    ("look up Acme but not Acme", "You asked for Acme Corp and also to leave Acme Corp out"),
    ("invoice Acme and Globex for last month except Acme", "You asked for Acme Corp and also to leave Acme Corp out (“except”)."),
    ("book with Alice and Erin but not Erin tomorrow at 2pm", "You asked for Erin Walsh and also to leave Erin Walsh out"),
    ("invoice everyone except everyone", "Leaving out “everyone” leaves nothing to do."),
    ("remind everyone apart from everyone", "Leaving out “everyone” leaves nothing to do."),
    # a number picked from a list was every one of them
    ("remind the first 3 clients", "I can't pick “first 3” out of a list without Claude."),
    ("invoice the first 3 clients for last month", "I can't pick “first 3” out of a list"),
    ("chase half of the clients", "I can't pick “half of the clients” out of a list"),
    ("invoice a few clients for last month", "I can't pick “a few clients” out of a list"),
    # a repeat was booked once
    ("book with Bob every Monday at 10am", "I can't plan something that repeats (“every Monday”) without Claude."),
    ("book a recurring call with Bob tomorrow at 9am", "I can't plan something that repeats (“recurring”)"),
    # days the rules cannot count were another day, or now
    ("book a meeting with Bob next Friday but one at 10am", "I can't tell which day “but one” is without Claude."),
    ("book a meeting with Bob a week from Monday at 10am", "I can't tell which day “a week from Monday” is"),
    ("book with Carol at the end of month", "I can't tell which day “the end of month” is"),
    ("book a meeting with Bob on the last day of the month at 10am", "I can't tell which day “the last day of” is"),
    ("what's on my calendar end of month?", "I can't tell which day “end of month” is"),
    # a length of time that is none was 30 minutes or 3 hours
    ("book 0 minutes with Bob tomorrow at 10am", "“0 minutes” is not a length of time."),
    ("log -3 hours on Acme today", "“-3 hours” is not a length of time."),
    # invoices of a period were every invoice, whatever its date
    ("chase overdue invoices from last month", "I can't pick invoices by date (“October 2026”) without Claude"),
    ("list invoices for October", "I can't pick invoices by date (“October 2026”)"),
    ("what's overdue from last week", "I can't pick invoices by date (“last week”)"),
    # a condition was written into the contact as its title
    ("set Bob's title to CFO and not CEO", "I would set Bob Chen's title to “CFO and not CEO” word for word"),
    ("set Alice's title to CFO but not yet", "I would set Alice Martin's title to “CFO but not yet” word for word"),
])
async def test_planned_as_something_else_before_now_an_honest_answer(goal: str, answer: str) -> None:
    outcome = await plan_of(goal)
    assert isinstance(outcome, CannotPlan), outcome
    assert outcome.message.startswith(answer), outcome.message


@pytest.mark.parametrize(("goal", "action", "excluded"), [
    # "all clients but Globex" invoiced Globex alone: the exact opposite
    ("invoice all clients but Globex for October", "unbilled_time", ["Globex"]),
    ("remind all clients but Acme", "list_invoices", ["Acme Corp"]),
    ("invoice everyone for October but Acme", "unbilled_time", ["Acme Corp"]),
])
async def test_all_but_a_client_leaves_that_client_out(goal: str, action: str, excluded: list[str]) -> None:
    draft = assert_valid(await plan_of(goal))
    assert draft.steps[0].action == f"local.{action}"
    assert draft.steps[0].args.get("exclude_clients") == excluded
    assert "client" not in draft.steps[0].args
    assert "except " + excluded[0] in draft.summary


async def test_an_exclusion_the_plan_cannot_apply_is_named() -> None:
    # it listed Globex's deals only
    outcome = await plan_of("list open deals but not Globex")
    assert isinstance(outcome, CannotPlan), outcome
    assert "but not “not” in your goal" in outcome.message


@pytest.mark.parametrize(("goal", "day"), [
    ("book a meeting with Bob the day after tomorrow at 10am", "2026-11-27T10:00:00+00:00"),
    ("log 3 hours on Acme the day before yesterday", "2026-11-23"),
])
async def test_the_day_after_tomorrow_and_the_day_before_yesterday_are_planned(goal: str, day: str) -> None:
    draft = assert_valid(await plan_of(goal))
    assert day in {str(v) for s in draft.steps for v in s.args.values()}


@pytest.mark.parametrize("goal", [
    "chase everything overdue but not Globex", "chase overdue invoices except Acme and Globex",
    "what's overdue today?", "set Bob's title to Head of Sales", "invoice Acme for last month but don't send it",
    "chase invoices more than two weeks late", "book 2 hours with Bob tomorrow at 10am",
    "add a note to Acme: don't call before May",
])
async def test_the_everyday_wordings_are_still_planned(goal: str) -> None:
    assert shape(assert_valid(await plan_of(goal)))
