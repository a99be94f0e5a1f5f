from __future__ import annotations

import pytest

from bot.domain import LOCAL_TEAM
from bot.errors import PermanentError
from integrations.local.client import LocalClient
from tests.integrations.local.conftest import Call


@pytest.fixture
async def people(call: Call) -> dict[str, int]:
    ids = {}
    for name, email, company in [("Maria Gonzalez", "maria@acme.example", "Acme Corp"),
                                 ("Julia Weber", "julia@acme.example", "Acme Corp"),
                                 ("Tom Becker", "tom@globex.example", "Globex"),
                                 ("Tom Hill", "hill@globex.example", "Globex")]:
        ids[name] = (await call("create_contact", name=name, email=email, company=company))["id"]
    return ids


async def test_find_people_by_first_name_full_name_or_email(call: Call, people: dict[str, int]) -> None:
    out = await call("find_people", names=["maria", "JULIA WEBER", "hill@globex.example"])
    assert out["emails"] == ["maria@acme.example", "julia@acme.example", "hill@globex.example"]
    assert out["people"][0] == {"id": people["Maria Gonzalez"], "name": "Maria Gonzalez",
                                "email": "maria@acme.example", "company": "Acme Corp"}


async def test_find_people_names_unknown_and_ambiguous(call: Call, people: dict[str, int]) -> None:
    with pytest.raises(PermanentError) as err:
        await call("find_people", names=["Marla", "Tom"])
    assert "No contact matches 'Marla'. Did you mean Maria" in str(err.value)
    assert "'Tom' matches several people" in str(err.value)
    assert "tom@globex.example" in str(err.value)
    # a full name settles it
    out = await call("find_people", names=["Tom Hill"])
    assert out["emails"] == ["hill@globex.example"]


async def test_outside_email_is_accepted_as_a_person(call: Call, people: dict[str, int]) -> None:
    out = await call("find_people", names=["new.person@partner.example"])
    assert out["people"][0]["id"] is None and out["emails"] == ["new.person@partner.example"]


async def test_create_contact_creates_company_once(call: Call, local: LocalClient, people: dict[str, int]) -> None:
    found = await call("search_crm", query="acme", kind="company")
    assert [c["name"] for c in found["companies"]] == ["Acme Corp"]
    out = await call("create_contact", name="Zoe Park", email="zoe@initech.example", company="Initech",
                     title="CTO", phone="+1 555 0100")
    assert out["contact"]["company"] == "Initech" and out["contact"]["title"] == "CTO"
    assert ("Zoe Park", "zoe@initech.example", "Initech") in await local.known_people(LOCAL_TEAM)
    with pytest.raises(PermanentError, match="already has the email"):
        await call("create_contact", name="Zoe Again", email="ZOE@initech.example")


async def test_search_crm_across_kinds(call: Call, people: dict[str, int]) -> None:
    await call("create_company", name="Globex Labs", domain="labs.globex.example")
    out = await call("search_crm", query="globex")
    assert {c["name"] for c in out["contacts"]} == {"Tom Becker", "Tom Hill"}
    assert [c["name"] for c in out["companies"]] == ["Globex", "Globex Labs"]
    assert out["count"] == 4
    by_domain = await call("search_crm", query="labs.globex", kind="company")
    assert [c["name"] for c in by_domain["companies"]] == ["Globex Labs"]
    assert (await call("search_crm", query="nobody-at-all"))["count"] == 0


async def test_update_contact_returns_previous_values(call: Call, people: dict[str, int]) -> None:
    cid = people["Julia Weber"]
    out = await call("update_contact", contact_id=cid, fields={"title": "CFO", "name": "Julia Weber"})
    assert out["contact"]["title"] == "CFO"
    assert out["previous"] == {"title": None}  # unchanged fields are not reported
    with pytest.raises(PermanentError, match="no contact with id 999"):
        await call("update_contact", contact_id=999, fields={"title": "X"})
    with pytest.raises(PermanentError, match="already has the email"):
        await call("update_contact", contact_id=cid, fields={"email": "maria@acme.example"})


async def test_create_company_refuses_duplicates(call: Call) -> None:
    out = await call("create_company", name="Initech", domain="Initech.example")
    assert out["company"] == {"id": out["id"], "name": "Initech", "domain": "initech.example"}
    with pytest.raises(PermanentError, match="already exists"):
        await call("create_company", name="initech")


async def test_update_deal_and_add_note(call: Call, local: LocalClient) -> None:
    from integrations.local.tables import LocalDeal

    company = await call("create_company", name="Acme Corp")
    async with local.database.session(team=LOCAL_TEAM) as s:
        deal = LocalDeal(name="Acme rebuild", company_id=company["id"], amount_cents=100_000, stage="lead")
        s.add(deal)
        await s.flush()
        deal_id = deal.id
    out = await call("update_deal", deal_id=deal_id, stage="won", amount_cents=125_000)
    assert out["deal"]["stage"] == "won" and out["deal"]["company"] == "Acme Corp"
    assert out["previous"] == {"stage": "lead", "amount_cents": 100_000}
    found = await call("search_crm", query="acme", kind="deal")
    assert found["deals"][0]["amount_cents"] == 125_000
    with pytest.raises(PermanentError, match="no deal with id 999"):
        await call("update_deal", deal_id=999, stage="lost")

    note = await call("add_note", subject="deal", subject_id=deal_id, body="Signed today.")
    assert note["note"]["body"] == "Signed today." and note["note"]["author"] == "Ana"
    with pytest.raises(PermanentError, match="no contact with id 42"):
        await call("add_note", subject="contact", subject_id=42, body="Who?")
