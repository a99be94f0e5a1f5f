"""Contract tests: each invoicing action through the official Stripe SDK against the fake."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from bot.registry import IntegrationEnv, discover
from bot.settings import Settings
from integrations.invoicing import actions as inv
from integrations.invoicing.client import StripeInvoicingClient
from tests.fakes.stripe_api import FakeStripe
from tests.integrations.invoicing.conftest import context, new_customer


def test_manifest_and_actions_load_through_the_registry() -> None:
    registry = discover(["invoicing"])
    loaded = registry.get("invoicing")
    assert loaded is not None
    assert loaded.manifest.auth == "api_key"
    assert loaded.manifest.idempotent_writes is True
    assert [c.name for c in loaded.manifest.credentials] == ["api_key"]
    spec = registry.spec("invoicing.create_invoice")
    assert spec is not None and spec.undo == "void_invoice"
    void = registry.spec("invoicing.void_invoice")
    assert void is not None and void.effect == "destructive"


async def test_customer_is_created_then_found_by_email(
    client: StripeInvoicingClient, stripe_fake: FakeStripe
) -> None:
    created = await inv.create_customer(
        client, context(), name="Acme GmbH", email="billing@acme.test"
    )
    cus_id = created["customer"]["id"]
    assert cus_id.startswith("cus_")

    found = await inv.find_customer(client, context(), email="billing@acme.test")
    assert found["customer"]["id"] == cus_id
    assert found["count"] == 1
    nobody = await inv.find_customer(client, context(), email="nobody@acme.test")
    assert nobody == {"customer": None, "customers": [], "count": 0}
    listed = await inv.list_customers(client, context())
    assert [c["name"] for c in listed["customers"]] == ["Acme GmbH"]


async def test_invoice_for_a_month_is_drafted_finalized_and_sent(
    client: StripeInvoicingClient, stripe_fake: FakeStripe
) -> None:
    cus = await new_customer(client, "Acme", "a@acme.test", step="r:c")
    await inv.create_invoice_item(
        client,
        context("r:pending"),
        customer=cus,
        amount=5000,
        currency="eur",
        description="Setup fee",
    )
    drafted = await inv.create_invoice(
        client,
        context("r:draft"),
        customer=cus,
        currency="eur",
        days_until_due=14,
        items=[
            {"amount": 120000, "description": "March: 12 h consulting"},
            {"amount": 30050, "description": "March: 3 h support"},
        ],
    )
    invoice = drafted["invoice"]
    assert invoice["status"] == "draft"
    assert invoice["total"] == 5000 + 120000 + 30050  # pending item included
    assert invoice["lines"] == 3
    assert all(isinstance(invoice[k], int) for k in ("total", "amount_due", "amount_remaining"))

    sent = await inv.send_invoice(client, context("r:send"), invoice_id=invoice["id"])
    assert sent["invoice"]["status"] == "open"
    assert sent["invoice"]["number"]
    assert stripe_fake.invoices[invoice["id"]]["sent"] == 1

    again = await inv.retrieve_invoice(client, context(), invoice_id=invoice["id"])
    assert again["invoice"]["amount_due"] == 155050
    assert again["invoice"]["due_date"] is not None


async def test_finalize_then_void_and_void_of_a_draft_deletes_it(
    client: StripeInvoicingClient, stripe_fake: FakeStripe
) -> None:
    cus = await new_customer(client, "B", "b@b.test", step="c")
    first = await inv.create_invoice(
        client,
        context("i1"),
        customer=cus,
        currency="usd",
        items=[{"amount": 100, "description": "x"}],
    )
    fin = await inv.finalize_invoice(client, context("f1"), invoice_id=first["invoice"]["id"])
    assert fin["invoice"]["status"] == "open"
    voided = await inv.void_invoice(client, context("v1"), invoice_id=first["invoice"]["id"])
    assert voided["invoice"]["status"] == "void"

    draft = await inv.create_invoice(client, context("i2"), customer=cus, currency="usd")
    gone = await inv.void_invoice(client, context("v2"), invoice_id=draft["invoice"]["id"])
    assert gone["invoice"] == {"id": draft["invoice"]["id"], "status": "deleted"}
    assert draft["invoice"]["id"] not in stripe_fake.invoices


async def test_list_overdue_returns_only_open_invoices_past_due(
    client: StripeInvoicingClient, stripe_fake: FakeStripe
) -> None:
    cus = await new_customer(client, "C", "c@c.test", step="c")
    ids = []
    for n, amount in enumerate([1000, 2000, 4000]):
        made = await inv.create_invoice(
            client,
            context(f"i{n}"),
            customer=cus,
            currency="eur",
            items=[{"amount": amount, "description": f"line {n}"}],
        )
        await inv.finalize_invoice(client, context(f"f{n}"), invoice_id=made["invoice"]["id"])
        ids.append(made["invoice"]["id"])
    ten_days_ago = int(time.time()) - 10 * 86400 - 60
    stripe_fake.invoices[ids[0]]["due_date"] = ten_days_ago  # overdue
    stripe_fake.invoices[ids[2]]["due_date"] = ten_days_ago  # overdue, but paid
    stripe_fake.pay(ids[2])

    overdue = await inv.list_overdue(client, context())
    assert [i["id"] for i in overdue["invoices"]] == [ids[0]]
    assert overdue["invoices"][0]["days_overdue"] == 10
    assert overdue["amount_remaining_by_currency"] == {"eur": 1000}

    payments = await inv.list_payments(client, context(), invoice=ids[2])
    assert payments["count"] == 1
    assert payments["payments"][0]["amount_paid"] == 4000
    assert payments["payments"][0]["status"] == "paid"
    only_open = await inv.list_invoices(client, context(), customer=cus, status="open")
    assert sorted(i["id"] for i in only_open["invoices"]) == sorted(ids[:2])


async def test_listing_follows_cursors_across_three_pages(
    client: StripeInvoicingClient, stripe_fake: FakeStripe
) -> None:
    for n in range(250):
        cus_id = f"cus_Bulk{n:05d}"
        stripe_fake.customers[cus_id] = {
            "id": cus_id,
            "object": "customer",
            "name": f"Client {n}",
            "email": f"c{n}@bulk.test",
            "created": 1_700_000_000,
        }
    listed = await inv.list_customers(client, context(), max_results=1000)
    assert listed["count"] == 250
    assert len({c["id"] for c in listed["customers"]}) == 250
    pages = [r for r in stripe_fake.requests if r[:2] == ("GET", "/v1/customers")]
    assert len(pages) == 3

    stripe_fake.requests.clear()
    capped = await inv.list_customers(client, context(), max_results=150)
    assert capped["count"] == 150
    assert len(stripe_fake.requests) == 2


async def test_registry_builds_the_client_from_settings_and_calls_through_it(
    stripe_fake: FakeStripe,
) -> None:
    registry = discover(["invoicing"])
    settings = Settings(stripe_api_url=stripe_fake.url, step_timeout_seconds=5.0)
    registry.start(IntegrationEnv(settings=settings, database=None))
    client, create = registry.function("invoicing.create_customer")
    try:
        made = await create(client, context("s"), name="Via registry", email="r@r.test")
        assert made["customer"]["id"] in stripe_fake.customers
    finally:
        await client.aclose()
    # without the setting (before the lead adds it) the client talks to Stripe itself
    default = inv.build_client(IntegrationEnv(settings=SimpleNamespace(step_timeout_seconds=30.0), database=None))
    assert default.api_url == "https://api.stripe.com"


async def test_overdue_is_judged_by_the_injected_clock(stripe_fake: FakeStripe) -> None:
    later = datetime.now(UTC) + timedelta(days=40, hours=1)
    client = StripeInvoicingClient(api_url=stripe_fake.url, timeout=5.0, clock=lambda: later)
    try:
        cus = await new_customer(client, "D", "d@d.test", step="c")
        made = await inv.create_invoice(
            client,
            context("i"),
            customer=cus,
            currency="eur",
            days_until_due=30,
            items=[{"amount": 700, "description": "x"}],
        )
        await inv.finalize_invoice(client, context("f"), invoice_id=made["invoice"]["id"])
        overdue = await inv.list_overdue(client, context())
    finally:
        await client.aclose()
    # due 30 days after finalizing, judged 40 days and an hour on
    assert [(i["id"], i["days_overdue"]) for i in overdue["invoices"]] == [
        (made["invoice"]["id"], 10)
    ]
