"""Undo of HubSpot writes: each write's manifest undo, built from its call as the Undo button
builds it (bot/flow/undo.py), puts HubSpot back as it was, against the fake HubSpot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.errors import PermanentError
from bot.flow.undo import fill
from bot.planning.refs import RefError
from bot.registry import ManifestError, Registry, discover, load_manifest
from integrations.crm import actions as crm
from integrations.crm.client import HubSpotClient
from tests.fakes.hubspot_api import FakeHubSpot
from tests.integrations.crm.conftest import context


@pytest.fixture(scope="module")
def registry() -> Registry:
    return discover(["crm"])


async def _undo(registry: Registry, client: HubSpotClient, action: str, args: dict[str, Any],
                result: dict[str, Any]) -> dict[str, Any]:
    """Run the undo the manifest declares for ``action``'s call, arguments checked against
    the undo action's schema as the executor checks them."""
    spec = registry.spec(f"crm.{action}")
    assert spec is not None and spec.undo and spec.undo_args is not None
    undo_args = fill(spec.undo_args, {"args": args, "result": result})
    undo_spec = registry.spec(f"crm.{spec.undo}")
    assert undo_spec is not None
    jsonschema.validate(undo_args, undo_spec.args)
    _, fn = registry.function(f"crm.{spec.undo}")
    return await fn(client, context(), **undo_args)


@pytest.mark.parametrize(("action", "args", "object_type"), [
    ("create_contact", {"email": "undo@acme.test", "firstname": "Una"}, "contacts"),
    ("create_company", {"name": "Undo Ltd", "domain": "undo.test"}, "companies"),
    ("create_deal", {"dealname": "Undo deal", "amount_cents": 150000, "currency": "EUR"}, "deals"),
])
async def test_undoing_a_create_archives_the_record_it_made(
    registry: Registry, client: HubSpotClient, hubspot: FakeHubSpot,
    action: str, args: dict[str, Any], object_type: str,
) -> None:
    made = await getattr(crm, action)(client, context(), **args)
    record_id = made["record"]["id"]
    assert hubspot.records[object_type][record_id]["archived"] is False
    await _undo(registry, client, action, args, made)
    assert hubspot.records[object_type][record_id]["archived"] is True
    found = await registry.function(f"crm.search_{object_type}")[1](client, context())
    assert record_id not in [r["id"] for r in found["results"]]


async def test_undoing_a_note_archives_the_note_and_leaves_the_contact(
    registry: Registry, client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    contact = hubspot.add("contacts", email="noted@acme.test")
    args = {"object_type": "contacts", "record_id": contact["id"], "body": "Called about renewal"}
    note = await crm.create_note(client, context(), **args)
    await _undo(registry, client, "create_note", args, note)
    assert hubspot.records["notes"][note["record"]["id"]]["archived"] is True
    assert hubspot.records["contacts"][contact["id"]]["archived"] is False


async def test_undoing_an_update_puts_back_each_changed_property_and_clears_new_ones(
    registry: Registry, client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    contact = hubspot.add("contacts", email="maria@acme.test", firstname="Maria", jobtitle="CFO")
    args = {"object_type": "contacts", "record_id": contact["id"],
            "properties": {"jobtitle": "CEO", "phone": "+34 600 000 000"}}
    updated = await crm.update_record(client, context(), **args)
    assert updated["previous"] == {"properties": {"jobtitle": "CFO", "phone": ""}}
    props = hubspot.records["contacts"][contact["id"]]["properties"]
    assert (props["jobtitle"], props["phone"]) == ("CEO", "+34 600 000 000")

    await _undo(registry, client, "update_record", args, updated)
    assert (props["jobtitle"], props["phone"], props["firstname"]) == ("CFO", "", "Maria")
    sent = [body for method, _, body in hubspot.requests if method == "PATCH"][-1]
    assert sent == {"properties": {"jobtitle": "CFO", "phone": ""}}  # nothing else touched


async def test_undoing_a_deal_update_restores_its_amount_and_currency(
    registry: Registry, client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    deal = hubspot.add("deals", dealname="Renewal", amount="1500.50", deal_currency_code="EUR",
                       dealstage="qualifiedtobuy")
    args = {"object_type": "deals", "record_id": deal["id"], "amount_cents": 250000,
            "properties": {"deal_currency_code": "JPY", "dealstage": "contractsent"}}
    updated = await crm.update_record(client, context(), **args)
    assert updated["record"]["amount_cents"] == 250000
    assert updated["previous"] == {"amount_cents": 150050, "properties": {
        "deal_currency_code": "EUR", "dealstage": "qualifiedtobuy"}}

    undone = await _undo(registry, client, "update_record", args, updated)
    props = hubspot.records["deals"][deal["id"]]["properties"]
    assert (props["amount"], props["deal_currency_code"], props["dealstage"]) == (
        "1500.50", "EUR", "qualifiedtobuy")
    # the undo is itself undoable: it remembers the values it replaced
    assert undone["previous"]["amount_cents"] == 250000


async def test_undoing_a_first_amount_clears_it(
    registry: Registry, client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    deal = hubspot.add("deals", dealname="New", deal_currency_code="USD")
    args = {"object_type": "deals", "record_id": deal["id"], "amount_cents": 9900}
    updated = await crm.update_record(client, context(), **args)
    assert updated["previous"] == {"properties": {"amount": ""}}
    await _undo(registry, client, "update_record", args, updated)
    assert hubspot.records["deals"][deal["id"]]["properties"]["amount"] == ""


async def test_hubspot_refuses_to_undo_what_is_already_archived(
    registry: Registry, client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    args = {"name": "Gone Ltd"}
    made = await crm.create_company(client, context(), **args)
    await crm.archive_record(client, context(), object_type="companies", record_id=made["record"]["id"])
    with pytest.raises(PermanentError, match="crm: not found"):
        await _undo(registry, client, "create_company", args, made)


def test_every_crm_undo_is_buildable_and_an_undo_without_undo_args_is_refused(
    registry: Registry, tmp_path: Path
) -> None:
    loaded = registry.get("crm")
    assert loaded is not None
    assert all(a.undo_args is not None for a in loaded.manifest.actions if a.undo)
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "manifest.yaml").write_text(
        "name: notes\ndescription: Notes.\nactions:\n"
        "  - {name: add, description: Add., effect: write, undo: remove}\n"
        "  - {name: remove, description: Remove., effect: write}\n")
    with pytest.raises(ManifestError, match="add.*undo 'remove' needs undo_args"):
        load_manifest(folder / "manifest.yaml")


def _contact_and_company(hubspot: FakeHubSpot, email: str) -> tuple[str, str, dict[str, str]]:
    contact = hubspot.add("contacts", email=email)["id"]
    company = hubspot.add("companies", name="Acme")["id"]
    args = {"from_type": "contacts", "from_id": contact, "to_type": "companies", "to_id": company}
    return contact, company, args


def _linked(hubspot: FakeHubSpot, contact: str, company: str) -> bool:
    return any(a[:4] == ("contacts", contact, "companies", company) for a in hubspot.associations)


async def test_undoing_an_association_removes_only_a_link_the_step_made(
    registry: Registry, client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    contact, company, args = _contact_and_company(hubspot, "link@acme.test")
    linked = await crm.associate(client, context(), **args)
    assert ("contacts", contact, "companies", company, 279) in hubspot.associations
    await _undo(registry, client, "associate", args, linked)
    assert not _linked(hubspot, contact, company)

    # linked before the step: associating again changes nothing, so there is nothing to undo
    other = hubspot.add("companies", name="Older link")["id"]
    hubspot.associations.add(("contacts", contact, "companies", other, 279))
    again = await crm.associate(client, context(), **{**args, "to_id": other})
    assert "added" not in again
    spec = registry.spec("crm.associate")
    assert spec is not None and spec.undo_args is not None
    with pytest.raises(RefError):  # the Undo button leaves such a call out (bot/flow/undo.py)
        fill(spec.undo_args, {"args": {**args, "to_id": other}, "result": again})


async def test_undoing_a_removal_restores_a_default_link_but_never_guesses_a_labeled_one(
    registry: Registry, client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    contact, company, args = _contact_and_company(hubspot, "unlink@acme.test")
    await crm.associate(client, context(), **args)
    removed = await crm.remove_association(client, context(), **args)
    assert removed["removed"] == {"from": ["contacts", contact], "to": ["companies", company]}
    assert not _linked(hubspot, contact, company)
    await _undo(registry, client, "remove_association", args, removed)
    assert ("contacts", contact, "companies", company, 279) in hubspot.associations

    hubspot.labels[7] = "Billing contact"  # a label the portal defined, on top of the default
    hubspot.associations.add(("contacts", contact, "companies", company, 7))
    labeled = await crm.remove_association(client, context(), **args)
    assert "restorable" not in labeled  # associate could not put the label back
