"""A re-plan keeps an approved step by naming it (``{"keep": "s4"}``): the step comes back as
approved, its references to completed steps filled in and to kept steps renumbered; what
cannot be kept goes back to the model once, with the reason (bot/planning/replan_keep.py)."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest

from bot.domain import CannotPlan, PlanDraft
from bot.planning.protocol import ReplanRequest
from tests.fakes.anthropic_api import FakeAnthropic, tool_use
from tests.planning.test_claude import context_for, planner_for

PLAN = PlanDraft.model_validate({"summary": "Initech signed", "steps": [
    {"id": "s1", "action": "local.find_people", "args": {"names": ["Ana", "Ben"]}},
    {"id": "s2", "action": "local.list_invoices", "args": {"status": "draft", "client": "Initech"}},
    {"id": "s3", "action": "local.send_invoice", "args": {"invoice_id": {"$ref": "s2.invoices.0.id"}},
     "note": "Send the draft"},
    {"id": "s4", "action": "local.create_event", "args": {
        "title": "Kickoff", "start": "2026-12-01T10:00:00+01:00", "end": "2026-12-01T11:00:00+01:00",
        "attendees": {"$ref": "s1.emails"}}},
    {"id": "s5", "action": "local.cancel_event", "args": {"event_id": 7}},
]})
PEOPLE = {"emails": ["ana@example.com", "ben@example.com"], "people": []}
REQUEST = ReplanRequest(goal="Initech signed: send their draft invoice and book the kickoff", plan=PLAN,
                        completed={"s1": PEOPLE}, failed_step="s2", error="step 2 (local.list_invoices) failed: 503")


async def test_kept_steps_come_back_as_approved_with_completed_values_filled_in(
        api: FakeAnthropic, client: anthropic.AsyncAnthropic) -> None:
    api.queue(tool_use("submit_plan", {"steps": [{"keep": "s2"}, {"keep": "s3"}, {"keep": "s4"}]}))
    outcome = await planner_for(client).replan(REQUEST, context_for())
    assert isinstance(outcome, PlanDraft)
    assert [(s.id, s.action, s.args, s.note) for s in outcome.steps] == [
        ("s1", "local.list_invoices", {"status": "draft", "client": "Initech"}, ""),
        # its reference follows the kept step to its new place
        ("s2", "local.send_invoice", {"invoice_id": {"$ref": "s1.invoices.0.id"}}, "Send the draft"),
        # s1 is done: what it produced is copied in
        ("s3", "local.create_event", {"title": "Kickoff", "start": "2026-12-01T10:00:00+01:00",
                                      "end": "2026-12-01T11:00:00+01:00", "attendees": PEOPLE["emails"]}, ""),
    ]
    assert len(api.requests) == 1
    assert 'written {"keep": "sN"} with its approved id' in api.requests[0].json["messages"][0]["content"][1]["text"]


def json_of(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False)


@pytest.mark.parametrize("steps, problem", [
    ([{"keep": "s1"}], "s1 is done and must not be repeated"),
    ([{"keep": "s9"}], "keep takes only an approved step's id"),
    ([{"keep": "s2", "args": {}}], "keep takes only an approved step's id"),
    ([{"keep": "s3"}], "it refers to s2, which is neither done nor kept; write the step out"),
])
async def test_what_cannot_be_kept_goes_back_to_the_model_once(
        api: FakeAnthropic, client: anthropic.AsyncAnthropic, steps: list[dict[str, Any]], problem: str) -> None:
    api.queue(tool_use("submit_plan", {"steps": steps}), tool_use("submit_plan", {"steps": steps}))
    outcome = await planner_for(client).replan(REQUEST, context_for())
    assert isinstance(outcome, CannotPlan) and problem in outcome.message
    assert problem in json_of(api.requests[1].json["messages"][-1])


async def test_keep_is_only_for_re_plans(api: FakeAnthropic, client: anthropic.AsyncAnthropic) -> None:
    api.queue(tool_use("submit_plan", {"steps": [{"keep": "s1"}]}),
              tool_use("submit_plan", {"steps": [{"action": "local.list_invoices", "args": {"status": "draft"}}]}))
    outcome = await planner_for(client).plan("list the drafts", context_for())
    assert isinstance(outcome, PlanDraft) and outcome.steps[0].action == "local.list_invoices"
    assert '\\"keep\\" names a step of an approved plan: it is only for re-plans' in json_of(api.requests[1].json)


def test_a_for_each_over_a_completed_list_cannot_be_kept() -> None:
    from bot.planning.replan_keep import expand_kept
    plan = PlanDraft.model_validate({"summary": "chase", "steps": [
        {"id": "s1", "action": "local.list_invoices", "args": {"status": "overdue"}},
        {"id": "s2", "action": "local.send_reminder", "args": {"invoice_id": {"$ref": "item.id"}},
         "for_each": "s1.invoices"}]})
    request = ReplanRequest(goal="chase", plan=plan, completed={"s1": {"invoices": [{"id": 4}]}}, failed_step="s2")
    _, problems = expand_kept([{"keep": "s2"}], request)
    assert problems == ["step 1 (keep 's2'): it runs for each element of s1.invoices, the output of a completed "
                        "step; write the step out"]
