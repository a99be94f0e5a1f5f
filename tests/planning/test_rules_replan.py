"""Re-planning after a failed run: the rest of the plan with completed outputs filled in."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain import CannotPlan, PlanDraft
from bot.planning.protocol import ReplanRequest
from bot.planning.rules import RulePlanner
from tests.planning.rules_common import assert_valid, make_context, plan_of

EMAILS = ["alice@example.com", "bob@example.com"]


async def replan(goal: str, completed: dict[str, Any], failed_step: str, error: str,
                 plan: PlanDraft | None = None) -> Any:
    draft = plan or assert_valid(await plan_of(goal))
    request = ReplanRequest(goal=goal, plan=draft, completed=completed, failed_step=failed_step, error=error)
    return await RulePlanner().replan(request, make_context())


async def test_a_taken_slot_searches_again_from_that_slot() -> None:
    outcome = await replan("book a meeting with Alice and Bob next Tuesday at 10am",
                           {"s1": {"emails": EMAILS, "people": []}}, "s2", "slot taken by another event")
    draft = assert_valid(outcome)
    assert draft.summary.startswith("Re-plan after step 2 failed: slot taken by another event")
    assert [s.action for s in draft.steps] == ["local.find_free_slots", "local.create_event"]
    assert draft.steps[0].args == {"attendees": EMAILS, "duration_minutes": 30,
                                   "after": "2026-12-01T10:00:00+00:00", "timezone": "Europe/London", "count": 1}
    assert draft.steps[1].args == {"title": "Meeting with Alice and Bob", "start": {"$ref": "s1.first.start"},
                                   "end": {"$ref": "s1.first.end"}, "attendees": EMAILS}


async def test_a_conflict_after_a_slot_search_searches_from_the_slot_found() -> None:
    slot = {"start": "2026-11-26T13:00:00+00:00", "end": "2026-11-26T13:45:00+00:00"}
    outcome = await replan("schedule 45 minutes with Carol tomorrow afternoon",
                           {"s1": {"emails": ["carol@example.com"]}, "s2": {"slots": [slot], "first": slot}},
                           "s3", "Conflict: Carol is busy then")
    draft = assert_valid(outcome)
    assert draft.steps[0].args["after"] == slot["start"]
    assert draft.steps[0].args["duration_minutes"] == 45
    assert draft.steps[0].args["attendees"] == ["carol@example.com"]


async def test_an_invoice_run_resumes_with_one_step_per_client_left() -> None:
    clients = [{"client_id": 1, "client": "Acme Corp"}, {"client_id": 3, "client": "Initech"}]
    outcome = await replan("invoice all clients for March", {"s1": {"clients": clients, "count": 2}},
                           "s2", "database timeout")
    draft = assert_valid(outcome)
    assert [(s.action, s.args) for s in draft.steps] == [
        ("local.create_invoice", {"client_id": 1, "period_start": "2026-03-01", "period_end": "2026-03-31"}),
        ("local.create_invoice", {"client_id": 3, "period_start": "2026-03-01", "period_end": "2026-03-31"}),
        ("local.send_invoice", {"invoice_id": {"$ref": "s1.id"}}),
        ("local.send_invoice", {"invoice_id": {"$ref": "s2.id"}}),
    ]
    assert all(s.for_each is None for s in draft.steps)
    assert draft.summary.startswith("Re-plan after step 2 failed: database timeout")


async def test_the_items_that_went_through_before_a_fan_out_failed_are_not_proposed_again() -> None:
    # Acme's invoice was created before Initech's failed: only Initech's is made again, and
    # the later "send each" step still sends both (Acme's by the id it came back with)
    goal = "invoice all clients for March"
    clients = [{"client_id": 1, "client": "Acme Corp"}, {"client_id": 3, "client": "Initech"}]
    request = ReplanRequest(goal=goal, plan=assert_valid(await plan_of(goal)),
                            completed={"s1": {"clients": clients, "count": 2}}, failed_step="s2",
                            error="database timeout", went_through={"s2": [
                                {"item": 0, "args": {"client_id": 1}, "result": {"id": 77, "number": "INV-77"}}]})
    draft = assert_valid(await RulePlanner().replan(request, make_context()))
    assert [(s.action, s.args) for s in draft.steps] == [
        ("local.create_invoice", {"client_id": 3, "period_start": "2026-03-01", "period_end": "2026-03-31"}),
        ("local.send_invoice", {"invoice_id": 77}),
        ("local.send_invoice", {"invoice_id": {"$ref": "s1.id"}}),
    ]


async def test_sending_resumes_with_the_invoices_already_created() -> None:
    outcome = await replan("invoice all clients for March",
                           {"s1": {"clients": [{"client_id": 1}, {"client_id": 2}]},
                            "s2": {"results": [{"id": 10, "invoice": {}}, {"id": 11, "invoice": {}}]}},
                           "s3", "SMTP server unreachable")
    draft = assert_valid(outcome)
    assert [(s.action, s.args) for s in draft.steps] == [
        ("local.send_invoice", {"invoice_id": 10}), ("local.send_invoice", {"invoice_id": 11})]


async def test_a_contact_update_keeps_the_contact_found() -> None:
    outcome = await replan("set Bob's title to CTO", {"s1": {"contacts": [{"id": 7}], "count": 1}},
                           "s2", "temporarily unavailable")
    draft = assert_valid(outcome)
    assert [(s.action, s.args) for s in draft.steps] == [
        ("local.update_contact", {"contact_id": 7, "fields": {"title": "CTO"}})]


async def test_a_slot_search_with_no_slot_in_the_window_keeps_looking_after_it() -> None:
    outcome = await replan("schedule 45 minutes with Carol tomorrow afternoon",
                           {"s1": {"emails": ["carol@example.com"]}}, "s2", "no free slot in that window")
    draft = assert_valid(outcome)
    assert [s.action for s in draft.steps] == ["local.find_free_slots", "local.create_event"]
    assert "before" not in draft.steps[0].args
    assert draft.steps[0].args["attendees"] == ["carol@example.com"]
    assert draft.steps[1].args["start"] == {"$ref": "s1.first.start"}


@pytest.mark.parametrize(("goal", "step", "error"), [
    ("book a meeting with Bob tomorrow", "s1", "No contact matches 'Bob'"),
    ("set Bob's title to CTO", "s2", "invalid arguments: title too long"),
    ("chase overdue invoices", "s1", "You have not connected 'local' yet"),
])
async def test_errors_a_retry_cannot_fix_are_explained(goal: str, step: str, error: str) -> None:
    outcome = await replan(goal, {}, step, error)
    assert isinstance(outcome, CannotPlan)
    assert error in outcome.message and "fail the same way" in outcome.message


async def test_a_failed_step_missing_from_the_plan_is_explained() -> None:
    outcome = await replan("chase overdue invoices", {}, "s9", "boom")
    assert isinstance(outcome, CannotPlan) and "'s9' is not in the plan" in outcome.message


async def test_a_reference_to_output_that_never_came_is_explained() -> None:
    outcome = await replan("chase overdue invoices", {"s1": {"count": 0}}, "s2", "timeout")
    assert isinstance(outcome, CannotPlan) and "cannot re-plan the rest" in outcome.message


async def test_nothing_left_when_the_list_is_empty() -> None:
    outcome = await replan("chase overdue invoices", {"s1": {"invoices": [], "count": 0}}, "s2", "timeout")
    assert isinstance(outcome, CannotPlan) and "Nothing is left to do" in outcome.message
