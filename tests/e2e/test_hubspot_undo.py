"""Undo on HubSpot, end to end through the shell: a run that changes a deal and adds a
contact offers Undo; the undo is a plan of its own, approved like any other, and afterwards
HubSpot holds what it held before."""

from __future__ import annotations

import pytest

from bot.domain import PlanDraft, Step
from tests.core.doubles import ScriptedPlanner
from tests.e2e.conftest import HUBSPOT_TOKEN, World


@pytest.fixture
def planner() -> ScriptedPlanner:
    return ScriptedPlanner()


async def test_undo_puts_a_deal_back_and_archives_the_contact_the_run_made(
        world: World, planner: ScriptedPlanner) -> None:
    deal = world.hubspot.add("deals", dealname="Acme renewal", amount="1500.00",
                             deal_currency_code="EUR", dealstage="qualifiedtobuy")
    assert "Connected crm" in await world.connect("crm", HUBSPOT_TOKEN)
    planner.outcomes.append(PlanDraft(summary="Move the deal on, add its contact", steps=[
        Step(id="s1", action="crm.update_record", args={
            "object_type": "deals", "record_id": deal["id"], "amount_cents": 180000,
            "properties": {"dealstage": "contractsent"}}),
        Step(id="s2", action="crm.create_contact", args={
            "email": "maria@acme-hq.example", "firstname": "Maria"}),
    ]))
    await world.chat.say("move the Acme deal to contract sent at 1,800 and add Maria")
    done = await world.chat.say("approve")
    assert "✓ Run 1: Done" in done and "undo" in done.lower(), done
    props = world.hubspot.records["deals"][deal["id"]]["properties"]
    assert (props["dealstage"], props["amount"]) == ("contractsent", "1800.00")
    [contact] = world.hubspot.records["contacts"].values()

    undo = await world.chat.say("undo")
    assert "crm.archive_record" in undo and "crm.update_record" in undo, undo
    assert contact["archived"] is False  # nothing undone before the approval
    assert "✓ Run 2: Done" in await world.chat.say("approve")
    assert (props["dealstage"], props["amount"]) == ("qualifiedtobuy", "1500.00")
    assert contact["archived"] is True
    assert HUBSPOT_TOKEN not in world.chat.transcript
