from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time

from bot.domain import LOCAL_TEAM
from bot.errors import PermanentError
from bot.registry.contract import CallContext
from bot.store.database import Database
from integrations.local.actions import actions
from integrations.local.billing import amount_for
from integrations.local.client import LocalClient
from integrations.local.tables import LocalBillingClient, LocalTimeEntry
from tests.integrations.local.conftest import ACTOR, Call, Clock

FEB = {"period_start": "2026-02-01", "period_end": "2026-02-28"}


@pytest.fixture
async def clients(local: LocalClient) -> dict[str, int]:
    """Acme at 150.00/h with 3 h 20 min in February and 1 h in March; Globex at 99.99/h, 7 min."""
    async with local.database.session(team=LOCAL_TEAM) as s:
        acme = LocalBillingClient(name="Acme Corp", email="billing@acme.example", currency="USD",
                                  hourly_rate_cents=15000)
        globex = LocalBillingClient(name="Globex", email="ap@globex.example", currency="EUR",
                                    hourly_rate_cents=9999)
        s.add_all([acme, globex])
        await s.flush()
        assert acme.id and globex.id
        s.add_all([
            LocalTimeEntry(client_id=acme.id, person="ana@agency.example", day=date(2026, 2, 3), minutes=120),
            LocalTimeEntry(client_id=acme.id, person="ben@agency.example", day=date(2026, 2, 27), minutes=80),
            LocalTimeEntry(client_id=acme.id, person="ana@agency.example", day=date(2026, 3, 2), minutes=60),
            LocalTimeEntry(client_id=globex.id, person="ben@agency.example", day=date(2026, 2, 10), minutes=7),
        ])
        return {"acme": acme.id, "globex": globex.id}


def test_amount_rounds_half_up_in_integers() -> None:
    assert amount_for(200, 15000) == 50000
    assert amount_for(7, 9999) == 1167  # 1166.55 -> 1167
    assert amount_for(1, 30) == 1  # exactly half a cent rounds up
    assert amount_for(1, 29) == 0


async def test_list_clients(call: Call, local: LocalClient, clients: dict[str, int]) -> None:
    out = await call("list_clients")
    assert out["clients"][0] == {"id": clients["acme"], "name": "Acme Corp", "email": "billing@acme.example",
                                 "currency": "USD", "hourly_rate_cents": 15000}
    assert await local.client_names(LOCAL_TEAM) == ["Acme Corp", "Globex"]


async def test_unbilled_time_per_client(call: Call, clients: dict[str, int]) -> None:
    out = await call("unbilled_time", **FEB)
    assert [(c["client"], c["minutes"], c["amount_cents"], c["entries"]) for c in out["clients"]] == [
        ("Acme Corp", 200, 50000, 2), ("Globex", 7, 1167, 1)]
    assert out["count"] == 2 and out["total_cents"] == 51167
    only = await call("unbilled_time", client="acme", **FEB)
    assert [c["client"] for c in only["clients"]] == ["Acme Corp"]
    with pytest.raises(PermanentError, match="No client is called 'Acne'. Did you mean Acme Corp"):
        await call("unbilled_time", client="Acne", **FEB)


async def test_create_invoice_bills_the_period_once(call: Call, clients: dict[str, int]) -> None:
    out = await call("create_invoice", client_id=clients["acme"], due_days=14, **FEB)
    inv = out["invoice"]
    assert (inv["number"], inv["client"], inv["amount_cents"], inv["status"]) == ("INV-0001", "Acme Corp", 50000, "draft")
    assert (inv["issued_on"], inv["due_on"]) == ("2026-03-04", "2026-03-18")
    assert sum(line["amount_cents"] for line in inv["lines"]) == 50000
    # February's Acme time is billed now; March's is not
    left = await call("unbilled_time", period_start="2026-02-01", period_end="2026-03-31")
    assert [(c["client"], c["minutes"]) for c in left["clients"]] == [("Acme Corp", 60), ("Globex", 7)]
    with pytest.raises(PermanentError, match="Nothing to bill for Acme Corp"):
        await call("create_invoice", client_id=clients["acme"], **FEB)
    second = await call("create_invoice", client_id=clients["globex"], **FEB)
    assert second["invoice"]["number"] == "INV-0002" and second["invoice"]["currency"] == "EUR"


async def test_send_invoice_mails_the_billing_address(call: Call, local: LocalClient, clients: dict[str, int]) -> None:
    made = await call("create_invoice", client_id=clients["acme"], **FEB)
    sent = await call("send_invoice", invoice_id=made["id"])
    assert sent["invoice"]["status"] == "sent" and sent["to"] == "billing@acme.example"
    [mail] = await local.outbox()
    assert mail["id"] == sent["outbox_id"] and mail["kind"] == "invoice" and "INV-0001" in mail["subject"]
    assert "500.00 USD" in mail["body"]
    with pytest.raises(PermanentError, match="not a draft"):
        await call("send_invoice", invoice_id=made["id"])


async def test_overdue_is_derived_from_the_clock(call: Call, clock: Clock, clients: dict[str, int]) -> None:
    made = await call("create_invoice", client_id=clients["acme"], due_days=10, **FEB)
    await call("send_invoice", invoice_id=made["id"])
    assert (await call("list_invoices", status="overdue"))["count"] == 0
    clock.now = datetime(2026, 3, 14, 23, 0, tzinfo=UTC)  # due day itself: not yet overdue
    assert (await call("list_invoices", status="sent"))["count"] == 1
    # past midnight in Berlin, still the 14th in UTC: the caller's zone decides
    late_berlin = await call("list_invoices", status="overdue", tz="Europe/Berlin")
    assert [(i["number"], i["days_overdue"]) for i in late_berlin["invoices"]] == [("INV-0001", 1)]
    clock.now = datetime(2026, 3, 25, 9, 0, tzinfo=UTC)
    out = await call("list_invoices", status="overdue", client="Acme Corp")
    assert out["invoices"][0]["status"] == "overdue" and out["invoices"][0]["days_overdue"] == 11
    assert out["total_cents"] == 50000
    assert (await call("list_invoices", status="sent"))["count"] == 0
    assert (await call("list_invoices", client="Globex"))["count"] == 0


async def test_reminders_only_for_unpaid_sent_invoices(call: Call, clock: Clock, local: LocalClient,
                                                       clients: dict[str, int]) -> None:
    made = await call("create_invoice", client_id=clients["acme"], due_days=7, **FEB)
    with pytest.raises(PermanentError, match="has not been sent yet"):
        await call("send_reminder", invoice_id=made["id"])
    await call("send_invoice", invoice_id=made["id"])
    clock.now = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    out = await call("send_reminder", invoice_id=made["id"])
    assert (out["to"], out["number"], out["invoice_id"]) == ("billing@acme.example", "INV-0001", made["id"])
    reminder = (await local.outbox())[-1]
    assert reminder["kind"] == "reminder" and "was due 9 days ago" in reminder["body"]
    custom = await call("send_reminder", invoice_id=made["id"], message="Please pay, thanks!")
    assert (await local.outbox())[-1]["body"] == "Please pay, thanks!" and custom["outbox_id"] > out["outbox_id"]
    await call("record_payment", invoice_id=made["id"], amount_cents=50000)
    with pytest.raises(PermanentError, match="INV-0001 is already paid"):
        await call("send_reminder", invoice_id=made["id"])


async def test_partial_then_full_payment(call: Call, clients: dict[str, int]) -> None:
    made = await call("create_invoice", client_id=clients["acme"], **FEB)
    await call("send_invoice", invoice_id=made["id"])
    part = await call("record_payment", invoice_id=made["id"], amount_cents=20000, paid_on="2026-03-05")
    assert part["invoice"]["status"] == "sent" and part["invoice"]["outstanding_cents"] == 30000
    with pytest.raises(PermanentError, match="more than the 300.00 USD still owed"):
        await call("record_payment", invoice_id=made["id"], amount_cents=30001)
    full = await call("record_payment", invoice_id=made["id"], amount_cents=30000)
    assert full["invoice"]["status"] == "paid" and full["invoice"]["paid_on"] == "2026-03-04"
    assert full["payment_id"] != part["payment_id"]
    assert (await call("list_invoices", status="paid"))["count"] == 1
    with pytest.raises(PermanentError, match="already paid; it cannot be voided"):
        await call("void_invoice", invoice_id=made["id"])


async def test_void_releases_the_time_for_billing_again(call: Call, clients: dict[str, int]) -> None:
    made = await call("create_invoice", client_id=clients["acme"], **FEB)
    out = await call("void_invoice", invoice_id=made["id"])
    assert out["invoice"]["status"] == "void"
    again = await call("unbilled_time", client="Acme Corp", **FEB)
    assert again["clients"][0]["minutes"] == 200
    with pytest.raises(PermanentError, match="already void"):
        await call("void_invoice", invoice_id=made["id"])
    with pytest.raises(PermanentError, match="is void; no payment"):
        await call("record_payment", invoice_id=made["id"], amount_cents=1)
    with pytest.raises(PermanentError, match="no invoice with id 999"):
        await call("send_invoice", invoice_id=999)


async def test_default_clock_follows_freezegun(database: Database, clients: dict[str, int], call: Call) -> None:
    made = await call("create_invoice", client_id=clients["acme"], due_days=10, **FEB)  # due 14 March
    await call("send_invoice", invoice_id=made["id"])
    real_clock = LocalClient(database)
    ctx = CallContext(idempotency_key="k", actor=ACTOR)
    with freeze_time("2026-03-16 10:00:00"):
        out = await actions.functions["list_invoices"](real_clock, ctx, status="overdue")
    assert [i["days_overdue"] for i in out["invoices"]] == [2]
