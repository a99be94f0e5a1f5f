"""Header injection into the local outbox: an address with CR/LF and a Bcc line, or several
addresses in one field, is refused with a clear error and nothing reaches the outbox."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from bot.domain import LOCAL_TEAM
from bot.errors import InvalidArguments, PermanentError
from integrations.local.client import LocalClient
from integrations.local.tables import LocalBillingClient, LocalContact, LocalInvoice, LocalTimeEntry
from tests.integrations.local.conftest import Call

INJECTED = "ana@agency.example\r\nBcc: thief@evil.example"
TWO = "ana@agency.example, thief@evil.example"
WHEN = {"start": "2026-03-05T10:00:00Z", "end": "2026-03-05T11:00:00Z"}


@pytest.mark.parametrize(("attendee", "why"), [(INJECTED, "line break"), (TWO, "more than one address")])
async def test_an_event_invite_cannot_smuggle_a_recipient(call: Call, local: LocalClient, attendee: str,
                                                          why: str) -> None:
    with pytest.raises(InvalidArguments, match=rf"attendees\[1\]: .*{why}"):
        await call("create_event", title="Kickoff", attendees=["ben@agency.example", attendee], **WHEN)
    assert await local.outbox() == []
    assert (await call("list_events", **WHEN))["count"] == 0


@pytest.mark.parametrize("email", [INJECTED, TWO, "not-an-address"])
async def test_contacts_hold_one_valid_address(call: Call, local: LocalClient, email: str) -> None:
    with pytest.raises(InvalidArguments, match="email: "):
        await call("create_contact", name="Ana", email=email)
    made = await call("create_contact", name="Ben", email="ben@agency.example")
    with pytest.raises(InvalidArguments, match="fields.email: "):
        await call("update_contact", contact_id=made["id"], fields={"email": email})
    async with local.database.session(all_teams=True) as s:
        stored = [c.email for c in (await s.exec(select(LocalContact))).all()]
    assert stored == ["ben@agency.example"]


async def test_an_outside_address_in_find_people_is_checked(call: Call) -> None:
    with pytest.raises(PermanentError, match="line break"):
        await call("find_people", names=[INJECTED])
    found = await call("find_people", names=["carol@partner.example"])
    assert found["emails"] == ["carol@partner.example"]


async def test_a_bad_billing_email_stops_the_invoice_and_the_reminder(call: Call, local: LocalClient) -> None:
    """The billing email comes from data, not from the plan: it is checked when the mail is
    written, so a record stored with a Bcc line sends nothing and changes nothing."""
    async with local.database.session(team=LOCAL_TEAM) as s:
        client = LocalBillingClient(name="Acme Corp", email=INJECTED, currency="USD", hourly_rate_cents=15000)
        s.add(client)
        await s.flush()
        assert client.id
        s.add(LocalTimeEntry(client_id=client.id, person="ana@agency.example", day=date(2026, 2, 3), minutes=60))
        client_id = client.id
    made = await call("create_invoice", client_id=client_id, period_start="2026-02-01", period_end="2026-02-28")
    with pytest.raises(InvalidArguments, match="billing email of Acme Corp: .*line break"):
        await call("send_invoice", invoice_id=made["id"])
    assert await local.outbox() == []
    async with local.database.session(team=LOCAL_TEAM) as s:
        invoice = await s.get(LocalInvoice, made["id"])
        assert invoice is not None and invoice.status == "draft"  # not marked sent
        invoice.status = "sent"
        s.add(invoice)
    with pytest.raises(InvalidArguments, match="billing email of Acme Corp"):
        await call("send_reminder", invoice_id=made["id"])
    assert await local.outbox() == []
