"""CRM lookups and updates, and goals the rules cannot plan."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.domain import CannotPlan, Clarification, PlanDraft
from bot.planning.rules import RulePlanner
from bot.planning.validation import validate_plan
from tests.planning.rules_common import (
    EmptyCatalog,
    LocalCatalog,
    assert_valid,
    make_context,
    plan_of,
    shape,
)

LOOKUPS = [
    ("look up Acme", {"query": "Acme Corp"}),
    ("who is Alice Martin?", {"query": "Alice Martin", "kind": "contact"}),
    ("find the Globex deal", {"query": "Globex", "kind": "deal"}),
    ("show contact bob@example.com", {"query": "bob@example.com", "kind": "contact"}),
    ("search for Initech", {"query": "Initech"}),
    ("tell me about Dan", {"query": "Dan Okafor", "kind": "contact"}),
    ("lookup the company Umbrella Health", {"query": "Umbrella Health", "kind": "company"}),
    ("find Hooli", {"query": "Hooli"}),
]


@pytest.mark.parametrize(("goal", "args"), LOOKUPS)
async def test_crm_lookups_search_once(goal: str, args: dict[str, Any]) -> None:
    draft = assert_valid(await plan_of(goal))
    assert shape(draft) == [("search_crm", None)]
    assert draft.steps[0].args == args


CONTACT_UPDATES = [
    ("update Alice's phone to +44 20 7946 0000", "Alice Martin", {"phone": "+44 20 7946 0000"}),
    ("set Bob's title to CTO", "Bob Chen", {"title": "CTO"}),
    ("change the email of Carol to carol@new.example", "Carol Diaz", {"email": "carol@new.example"}),
    ("Set Erin Walsh's job title to Head of Sales.", "Erin Walsh", {"title": "Head of Sales"}),
    ("update dan's mobile to 07700 900123", "Dan Okafor", {"phone": "07700 900123"}),
    ("Please update Bob Chen's phone number: 555 1234", "Bob Chen", {"phone": "555 1234"}),
]


@pytest.mark.parametrize(("goal", "who", "fields"), CONTACT_UPDATES)
async def test_contact_updates_search_then_update(goal: str, who: str, fields: dict[str, str]) -> None:
    draft = assert_valid(await plan_of(goal))
    assert shape(draft) == [("search_crm", None), ("update_contact", None)]
    assert draft.steps[0].args == {"query": who, "kind": "contact"}
    assert draft.steps[1].args == {"contact_id": {"$ref": "s1.contacts.0.id"}, "fields": fields}


NOTES = [
    ("add a note to Acme: renewal due in May", "Acme Corp", "company", "renewal due in May"),
    ("add note on the Globex deal - legal review pending", "Globex", "deal", "legal review pending"),
    ("leave a note for Alice saying she prefers mornings", "Alice Martin", "contact", "she prefers mornings"),
    ("Log a note against Initech: asked for a discount", "Initech", "company", "asked for a discount"),
    ("put a note on Umbrella Health account: new CFO starts in January", "Umbrella Health", "company",
     "new CFO starts in January"),
]


@pytest.mark.parametrize(("goal", "who", "subject", "body"), NOTES)
async def test_notes_are_added_to_the_record_found(goal: str, who: str, subject: str, body: str) -> None:
    draft = assert_valid(await plan_of(goal))
    assert shape(draft) == [("search_crm", None), ("add_note", None)]
    assert draft.steps[0].args == {"query": who, "kind": subject}
    plural = {"company": "companies", "deal": "deals", "contact": "contacts"}[subject]
    assert draft.steps[1].args == {"subject": subject, "subject_id": {"$ref": f"s1.{plural}.0.id"}, "body": body}


DEALS = [
    ("move the Globex deal to won", "Globex", "won"),
    ("mark the Initech deal as lost", "Initech", "lost"),
    ("set the Acme deal to negotiation", "Acme Corp", "negotiation"),
    ("Update the Umbrella Health deal to stage proposal", "Umbrella Health", "proposal"),
    ("close the Globex deal as won", "Globex", "won"),
]
@pytest.mark.parametrize(("goal", "who", "stage"), DEALS)
async def test_deal_stage_changes(goal: str, who: str, stage: str) -> None:
    draft = await plan_of(goal)
    assert isinstance(draft, PlanDraft)
    assert shape(draft) == [("search_crm", None), ("update_deal", None)]
    assert draft.steps[0].args == {"query": who, "kind": "deal"}
    assert draft.steps[1].args == {"deal_id": {"$ref": "s1.deals.0.id"}, "stage": stage}
    assert validate_plan(draft, LocalCatalog()) == []


async def test_an_update_it_cannot_read_asks_what_should_change() -> None:
    outcome = await plan_of("update the CRM note thingy")
    assert isinstance(outcome, Clarification) and "What should change?" in outcome.question


@pytest.mark.parametrize("goal", ["order pizza", "do the thing", "", "  ", "hi", "what is the meaning of life"])
async def test_unplannable_goals_say_what_can_be_done(goal: str) -> None:
    outcome = await plan_of(goal)
    assert isinstance(outcome, CannotPlan)
    assert "ANTHROPIC_API_KEY" in outcome.message
    for example in ("book", "invoice", "overdue", "look up", "calendar"):
        assert example in outcome.message


async def test_without_the_local_integration_the_plan_is_refused_with_the_reason() -> None:
    context = replace(make_context(), actions=EmptyCatalog())
    outcome = await RulePlanner().plan("look up Acme", context)
    assert isinstance(outcome, CannotPlan) and "unknown action 'local.search_crm'" in outcome.message
