"""Invoicing a period, chasing overdue invoices and listing invoices, in several wordings."""

from __future__ import annotations

import pytest

from bot.domain import Clarification
from tests.planning.rules_common import assert_valid, plan_of, shape

SEND = [("unbilled_time", None), ("create_invoice", "s1.clients"), ("send_invoice", "s2.results")]
DRAFTS = SEND[:2]

INVOICING = [
    # goal, client, period_start, period_end, steps
    ("invoice all clients for March", None, "2026-03-01", "2026-03-31", SEND),
    ("bill Acme for October 2026", "Acme Corp", "2026-10-01", "2026-10-31", SEND),
    ("send invoices for last month", None, "2026-10-01", "2026-10-31", SEND),
    ("create invoices for everyone for November", None, "2026-11-01", "2026-11-30", DRAFTS),
    ("Invoice everyone for December", None, "2025-12-01", "2025-12-31", SEND),
    ("please invoice Umbrella Health for Sept", "Umbrella Health", "2026-09-01", "2026-09-30", SEND),
    ("prepare draft invoices for Globex for Q3", "Globex", "2026-07-01", "2026-09-30", DRAFTS),
    ("issue the invoices for this month", None, "2026-11-01", "2026-11-30", SEND),
    ("send out the October invoices", None, "2026-10-01", "2026-10-31", SEND),
]


@pytest.mark.parametrize(("goal", "client", "first", "last", "steps"), INVOICING)
async def test_invoicing_a_period(goal: str, client: str | None, first: str, last: str,
                                  steps: list[tuple[str, str | None]]) -> None:
    draft = assert_valid(await plan_of(goal))
    assert shape(draft) == steps
    expected = {"period_start": first, "period_end": last}
    if client:
        expected["client"] = client
    assert draft.steps[0].args == expected
    assert draft.steps[1].args == {"client_id": {"$ref": "item.client_id"}, "period_start": first,
                                   "period_end": last}
    if len(steps) == 3:
        assert draft.steps[2].args == {"invoice_id": {"$ref": "item.id"}}


async def test_the_invoicing_summary_says_whether_invoices_are_sent() -> None:
    sent = assert_valid(await plan_of("invoice all clients for March"))
    drafts = assert_valid(await plan_of("create draft invoices for Acme for last month"))
    assert sent.summary == "Invoice all clients for March 2026 and send the invoices"
    assert drafts.summary == "Create draft invoices for Acme Corp for October 2026 (not sent)"


async def test_several_clients_get_one_block_each() -> None:
    draft = assert_valid(await plan_of("bill Acme and Initech for October"))
    assert shape(draft) == [*SEND, ("unbilled_time", None), ("create_invoice", "s4.clients"),
                            ("send_invoice", "s5.results")]
    assert [draft.steps[0].args["client"], draft.steps[3].args["client"]] == ["Acme Corp", "Initech"]


@pytest.mark.parametrize("goal", ["bill Hooli for October", "what does Acme Industries owe?",
                                  "remind Hooli about their invoice"])
async def test_an_unknown_client_is_a_question_never_a_similar_name(goal: str) -> None:
    outcome = await plan_of(goal)
    assert isinstance(outcome, Clarification) and "I know no client called" in outcome.question


@pytest.mark.parametrize("goal", ["invoice Acme", "send the invoices", "bill everyone"])
async def test_invoicing_without_a_period_asks_for_one(goal: str) -> None:
    outcome = await plan_of(goal)
    assert isinstance(outcome, Clarification) and "Which period" in outcome.question


CHASE = [
    ("chase overdue invoices", "overdue", None),
    ("send reminders for everything overdue", "overdue", None),
    ("remind Globex about their unpaid invoice", "unpaid", "Globex"),
    ("follow up on late payments", "overdue", None),
    ("Nudge Acme about what they owe", "unpaid", "Acme Corp"),
    ("please chase Initech's overdue invoices", "overdue", "Initech"),
]


@pytest.mark.parametrize(("goal", "status", "client"), CHASE)
async def test_chasing_overdue_invoices(goal: str, status: str, client: str | None) -> None:
    draft = assert_valid(await plan_of(goal))
    assert shape(draft) == [("list_invoices", None), ("send_reminder", "s1.invoices")]
    expected = {"status": status} | ({"client": client} if client else {})
    assert draft.steps[0].args == expected
    assert draft.steps[1].args == {"invoice_id": {"$ref": "item.id"}}
    assert draft.summary.startswith("Send payment reminders for")


LISTS = [
    ("what's overdue?", "overdue", None),
    ("list unpaid invoices", "unpaid", None),
    ("show me overdue invoices from Acme", "overdue", "Acme Corp"),
    ("who owes us money?", "unpaid", None),
    ("Which invoices are past due for Umbrella Health", "overdue", "Umbrella Health"),
    ("list draft invoices", "draft", None),
    ("who hasn't paid?", "unpaid", None),
    ("show all invoices for Globex", "any", "Globex"),
]


@pytest.mark.parametrize(("goal", "status", "client"), LISTS)
async def test_listing_invoices_is_one_read(goal: str, status: str, client: str | None) -> None:
    draft = assert_valid(await plan_of(goal))
    assert shape(draft) == [("list_invoices", None)]
    assert draft.steps[0].args == {"status": status} | ({"client": client} if client else {})
