"""Contract tests: each crm action through httpx against the fake HubSpot."""

from __future__ import annotations

from types import SimpleNamespace

import jsonschema
import pytest

from bot.errors import InvalidArguments
from bot.registry import IntegrationEnv, discover
from bot.settings import Settings
from integrations.crm import actions as crm
from integrations.crm.client import HubSpotClient
from tests.fakes.hubspot_api import FakeHubSpot
from tests.integrations.crm.conftest import context


def test_manifest_and_actions_load_through_the_registry() -> None:
    registry = discover(["crm"])
    loaded = registry.get("crm")
    assert loaded is not None
    assert loaded.manifest.idempotent_writes is False  # HubSpot takes no idempotency key
    assert [c.name for c in loaded.manifest.credentials] == ["access_token"]
    create = registry.spec("crm.create_note")
    assert create is not None and create.undo == "archive_record"
    archive = registry.spec("crm.archive_record")
    assert archive is not None and archive.effect == "destructive"


async def test_contact_is_created_found_read_and_updated(
    client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    made = await crm.create_contact(
        client,
        context(),
        email="maria@acme.test",
        firstname="Maria",
        lastname="Lopez",
        company="Acme",
    )
    contact_id = made["record"]["id"]
    assert made["record"]["properties"]["email"] == "maria@acme.test"

    by_email = await crm.search_contacts(client, context(), email="MARIA@acme.test")
    assert [r["id"] for r in by_email["results"]] == [contact_id]
    by_text = await crm.search_contacts(client, context(), query="lopez")
    assert by_text["count"] == 1 and by_text["total"] == 1 and by_text["truncated"] is False
    body = hubspot.requests[-1][2]
    assert body["query"] == "lopez" and "firstname" in body["properties"]

    updated = await crm.update_record(
        client,
        context(),
        object_type="contacts",
        record_id=contact_id,
        properties={"jobtitle": "CFO"},
    )
    assert updated["record"]["properties"]["jobtitle"] == "CFO"
    got = await crm.get_record(client, context(), object_type="contacts", record_id=contact_id)
    assert got["record"]["properties"]["jobtitle"] == "CFO"
    assert got["record"]["created_at"] and got["record"]["archived"] is False


async def test_companies_are_searched_by_domain_and_associated_with_contacts(
    client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    contact = hubspot.add("contacts", email="li@globex.test", firstname="Li")
    company = (await crm.create_company(client, context(), name="Globex", domain="globex.test"))[
        "record"
    ]
    hubspot.add("companies", name="Initech", domain="initech.test")
    found = await crm.search_companies(client, context(), domain="globex.test")
    assert [r["id"] for r in found["results"]] == [company["id"]]

    linked = await crm.associate(
        client,
        context(),
        from_type="contacts",
        from_id=contact["id"],
        to_type="companies",
        to_id=company["id"],
    )
    assert 279 in linked["association_type_ids"]  # HubSpot's default contact → company type
    assert ("contacts", contact["id"], "companies", company["id"], 279) in hubspot.associations

    await crm.remove_association(
        client,
        context(),
        from_type="contacts",
        from_id=contact["id"],
        to_type="companies",
        to_id=company["id"],
    )
    assert hubspot.associations == set()


async def test_deal_amounts_cross_as_integer_minor_units(
    client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    made = await crm.create_deal(
        client,
        context(),
        dealname="Acme renewal",
        amount_cents=150050,
        currency="eur",
        dealstage="appointmentscheduled",
    )
    stored = hubspot.records["deals"][made["record"]["id"]]["properties"]
    assert stored["amount"] == "1500.50"  # HubSpot's own format: a decimal string
    assert made["record"]["amount_cents"] == 150050
    assert "amount" not in made["record"]["properties"]

    yen = await crm.create_deal(
        client, context(), dealname="Tokyo", amount_cents=5000, currency="JPY"
    )
    assert hubspot.records["deals"][yen["record"]["id"]]["properties"]["amount"] == "5000"

    await crm.update_record(
        client, context(), object_type="deals", record_id=made["record"]["id"], amount_cents=99
    )
    found = await crm.search_deals(client, context(), stage="appointmentscheduled")
    assert [d["amount_cents"] for d in found["results"]] == [99]
    assert isinstance(found["results"][0]["amount_cents"], int)

    with pytest.raises(InvalidArguments, match="amount_cents"):
        await crm.update_record(
            client,
            context(),
            object_type="deals",
            record_id=made["record"]["id"],
            properties={"amount": "12.5"},
        )
    with pytest.raises(InvalidArguments, match="integer"):
        await crm.create_deal(client, context(), dealname="Float", amount_cents=12.5)
    spec = discover(["crm"]).spec("crm.create_deal")
    assert spec is not None
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"dealname": "x", "amount_cents": 12.5}, spec.args)


async def test_note_is_created_with_its_association_and_can_be_archived(
    client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    deal = hubspot.add("deals", dealname="Acme renewal")
    note = await crm.create_note(
        client,
        context(),
        object_type="deals",
        record_id=deal["id"],
        body="Called Maria: renews in May.",
    )
    note_id = note["record"]["id"]
    props = hubspot.records["notes"][note_id]["properties"]
    assert props["hs_note_body"] == "Called Maria: renews in May."
    assert props["hs_timestamp"].endswith("Z")
    assert ("notes", note_id, "deals", deal["id"], 214) in hubspot.associations

    await crm.archive_record(client, context(), object_type="notes", record_id=note_id)
    assert hubspot.records["notes"][note_id]["archived"] is True


async def test_search_follows_after_cursors_across_three_pages(
    client: HubSpotClient, hubspot: FakeHubSpot
) -> None:
    for n in range(450):
        hubspot.add("contacts", email=f"p{n}@bulk.test", firstname=f"Person{n}", company="Bulk")
    hubspot.add("contacts", email="other@else.test", company="Else")

    found = await crm.search_contacts(
        client,
        context(),
        filters=[{"property": "company", "operator": "EQ", "value": "Bulk"}],
        max_results=1000,
    )
    assert found["count"] == 450 and found["total"] == 450 and found["truncated"] is False
    assert len({r["id"] for r in found["results"]}) == 450
    searches = [body for method, path, body in hubspot.requests if path.endswith("/search")]
    assert [b.get("after") for b in searches] == [None, "200", "400"]
    assert all(b["limit"] <= 200 for b in searches)

    hubspot.requests.clear()
    capped = await crm.search_contacts(client, context(), query="bulk", max_results=250)
    assert capped["count"] == 250 and capped["total"] == 450 and capped["truncated"] is True
    assert [b["limit"] for _, _, b in hubspot.requests] == [200, 50]


async def test_registry_builds_the_client_from_settings_and_calls_through_it(
    hubspot: FakeHubSpot,
) -> None:
    registry = discover(["crm"])
    settings = Settings(hubspot_api_url=hubspot.url, step_timeout_seconds=5.0)
    registry.start(IntegrationEnv(settings=settings, database=None))
    client, create = registry.function("crm.create_company")
    try:
        made = await create(client, context(), name="Via registry")
        assert made["record"]["id"] in hubspot.records["companies"]
    finally:
        await client.aclose()
    default = crm.build_client(IntegrationEnv(settings=SimpleNamespace(step_timeout_seconds=30.0), database=None))
    assert default.api_url == "https://api.hubapi.com"


@pytest.mark.parametrize("bad", ["eve@example.com\r\nBcc: mallory@example.com", "eve@example.com, m@example.com"])
async def test_a_contact_email_is_one_address_or_nothing_is_sent(
    client: HubSpotClient, hubspot: FakeHubSpot, bad: str
) -> None:
    with pytest.raises(InvalidArguments, match="crm: email"):
        await crm.create_contact(client, context(), email=bad, firstname="Eve")
    made = await crm.create_contact(client, context(), email="eve@example.com", firstname="Eve")
    hubspot.requests.clear()
    with pytest.raises(InvalidArguments, match="crm: properties.email"):
        await crm.update_record(client, context(), object_type="contacts", record_id=made["record"]["id"],
                                properties={"email": bad})
    assert hubspot.requests == []
    assert [r["properties"]["email"] for r in hubspot.records["contacts"].values()] == ["eve@example.com"]
