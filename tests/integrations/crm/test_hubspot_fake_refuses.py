"""The fake HubSpot refuses what HubSpot refuses, in HubSpot's error shape, and Deputy turns
each refusal into a clear step failure (production talks to HubSpot with httpx, as here)."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.errors import PermanentError
from integrations.crm import actions as crm
from integrations.crm.client import HubSpotClient
from tests.fakes.hubspot_api import FakeHubSpot
from tests.integrations.crm.conftest import TOKEN, context


async def _raw(hubspot: FakeHubSpot, method: str, path: str, body: object) -> httpx.Response:
    async with httpx.AsyncClient(base_url=hubspot.url) as http:
        return await http.request(
            method, path, json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )


async def test_an_unknown_property_is_refused_with_property_doesnt_exist(
    hubspot: FakeHubSpot, client: HubSpotClient
) -> None:
    answer = await _raw(
        hubspot,
        "POST",
        "/crm/v3/objects/contacts",
        {"properties": {"email": "a@acme.test", "shoe_size": "42", "fav_colour": "red"}},
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR"
    assert body["correlationId"]
    prefix = "Property values were not valid: "
    assert body["message"].startswith(prefix)
    problems = json.loads(body["message"].removeprefix(prefix))
    assert [(p["name"], p["error"], p["isValid"]) for p in problems] == [
        ("shoe_size", "PROPERTY_DOESNT_EXIST", False),
        ("fav_colour", "PROPERTY_DOESNT_EXIST", False),
    ]
    assert hubspot.records["contacts"] == {}  # nothing stored

    # Deputy's step fails with HubSpot's reason in words, not a JSON dump
    contact = hubspot.add("contacts", email="li@acme.test")
    with pytest.raises(PermanentError) as caught:
        await crm.update_record(
            client,
            context(),
            object_type="contacts",
            record_id=contact["id"],
            properties={"shoe_size": "42"},
        )
    assert str(caught.value) == 'crm refused the request (400): Property "shoe_size" does not exist'
    assert "shoe_size" not in hubspot.records["contacts"][contact["id"]]["properties"]

    # a custom property defined in the portal is accepted
    hubspot.define_property("contacts", "shoe_size")
    await crm.update_record(
        client,
        context(),
        object_type="contacts",
        record_id=contact["id"],
        properties={"shoe_size": "42"},
    )
    assert hubspot.records["contacts"][contact["id"]]["properties"]["shoe_size"] == "42"


async def test_a_deal_stage_must_belong_to_the_deals_pipeline(
    hubspot: FakeHubSpot, client: HubSpotClient
) -> None:
    with pytest.raises(PermanentError, match="closed-won was not one of the allowed options"):
        await crm.create_deal(client, context(), dealname="Acme", dealstage="closed-won")
    with pytest.raises(PermanentError, match="enterprise was not one of the allowed options"):
        await crm.create_deal(client, context(), dealname="Acme", pipeline="enterprise")
    assert hubspot.records["deals"] == {}

    hubspot.pipelines["enterprise"] = ("discovery", "signed")
    made = await crm.create_deal(
        client, context(), dealname="Acme", pipeline="enterprise", dealstage="discovery"
    )
    deal_id = made["record"]["id"]
    # a move is checked against the deal's own pipeline, not the default one
    answer = await _raw(
        hubspot,
        "PATCH",
        f"/crm/v3/objects/deals/{deal_id}",
        {"properties": {"dealstage": "closedwon"}},
    )
    assert answer.status_code == 400
    (problem,) = json.loads(answer.json()["message"].split(": ", 1)[1])
    assert (problem["name"], problem["error"]) == ("dealstage", "INVALID_OPTION")
    await crm.update_record(
        client,
        context(),
        object_type="deals",
        record_id=deal_id,
        properties={"dealstage": "signed"},
    )
    assert hubspot.records["deals"][deal_id]["properties"]["dealstage"] == "signed"


async def test_a_note_needs_hs_timestamp(hubspot: FakeHubSpot, client: HubSpotClient) -> None:
    answer = await _raw(
        hubspot, "POST", "/crm/v3/objects/notes", {"properties": {"hs_note_body": "Called"}}
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["message"] == "Error creating NOTE. Some required properties were not set."
    assert body["context"] == {"properties": ["hs_timestamp"]}
    assert body["category"] == "VALIDATION_ERROR"
    with pytest.raises(PermanentError, match="Missing: hs_timestamp"):
        await client.create(TOKEN, "notes", {"hs_note_body": "Called"})
    assert hubspot.records["notes"] == {}

    # the create_note action always stamps the note
    contact = hubspot.add("contacts", email="li@acme.test")
    made = await crm.create_note(
        client, context(), object_type="contacts", record_id=contact["id"], body="Called"
    )
    assert made["record"]["properties"]["hs_timestamp"]


async def test_reads_leave_out_properties_the_portal_does_not_define(
    hubspot: FakeHubSpot, client: HubSpotClient
) -> None:
    contact = hubspot.add("contacts", email="li@acme.test", firstname="Li")
    found = await client.get(TOKEN, "contacts", contact["id"], ["firstname", "no_such_thing"])
    assert "no_such_thing" not in found["properties"]
    assert found["properties"]["firstname"] == "Li"


async def test_a_contact_email_must_be_an_address(hubspot: FakeHubSpot) -> None:
    answer = await _raw(
        hubspot, "POST", "/crm/v3/objects/contacts", {"properties": {"email": "ana at acme"}}
    )
    assert answer.status_code == 400
    (problem,) = json.loads(answer.json()["message"].split(": ", 1)[1])
    assert (problem["name"], problem["error"]) == ("email", "INVALID_EMAIL")
    assert problem["message"] == "Email address ana at acme is invalid"
    assert hubspot.records["contacts"] == {}


async def test_a_property_hubspot_computes_cannot_be_set(
    hubspot: FakeHubSpot, client: HubSpotClient
) -> None:
    contact = hubspot.add("contacts", email="ro@acme.test")
    with pytest.raises(PermanentError, match="read only property"):
        await crm.update_record(client, context(), object_type="contacts", record_id=contact["id"],
                                properties={"createdate": "2020-01-01T00:00:00Z"})
    answer = await _raw(hubspot, "POST", "/crm/v3/objects/companies",
                        {"properties": {"name": "X", "hs_object_id": "1"}})
    assert answer.status_code == 400 and "READ_ONLY_VALUE" in answer.json()["message"]
