"""Contract tests: idempotency keys, integer amounts, error mapping and secret hygiene."""

from __future__ import annotations

import logging

import jsonschema
import pytest

from bot.errors import (
    InvalidArguments,
    NotConnected,
    PermanentError,
    ReconnectNeeded,
    TransientError,
)
from bot.registry import discover
from integrations.invoicing import actions as inv
from integrations.invoicing.client import StripeInvoicingClient
from tests.fakes.stripe_api import FakeStripe
from tests.integrations.invoicing.conftest import API_KEY, context, new_customer


async def test_repeating_a_step_replays_it_and_creates_one_invoice(
    client: StripeInvoicingClient, stripe_fake: FakeStripe
) -> None:
    cus = await new_customer(client, "Acme", "a@acme.test", step="setup")
    stripe_fake.requests.clear()
    args = {"customer": cus, "currency": "eur", "items": [{"amount": 9900, "description": "March"}]}

    first = await inv.create_invoice(client, context("run-7:step-2"), **args)
    second = await inv.create_invoice(client, context("run-7:step-2"), **args)

    assert second["invoice"]["id"] == first["invoice"]["id"]
    assert len(stripe_fake.invoices) == 1
    assert len(stripe_fake.invoice_items) == 1
    keys = [key for method, _, key in stripe_fake.requests if method == "POST"]
    assert keys == [
        "deputy:run-7:step-2:item-0",
        "deputy:run-7:step-2:invoice",
        "deputy:run-7:step-2:item-0",
        "deputy:run-7:step-2:invoice",
    ]

    other_step = await inv.create_invoice(
        client, context("run-7:step-3"), customer=cus, currency="eur"
    )
    assert other_step["invoice"]["id"] != first["invoice"]["id"]
    assert len(stripe_fake.invoices) == 2


async def test_every_write_carries_an_idempotency_key(
    client: StripeInvoicingClient, stripe_fake: FakeStripe
) -> None:
    cus = await new_customer(client, "Acme", "a@acme.test", step="setup")
    made = await inv.create_invoice(client, context("a"), customer=cus, currency="eur")
    invoice_id = made["invoice"]["id"]
    await inv.create_invoice_item(
        client,
        context("b"),
        customer=cus,
        amount=1,
        currency="eur",
        description="x",
        invoice=invoice_id,
    )
    await inv.send_invoice(client, context("c"), invoice_id=invoice_id)
    await inv.void_invoice(client, context("d"), invoice_id=invoice_id)
    posts = [(path, key) for method, path, key in stripe_fake.requests if method == "POST"]
    assert [p for p, _ in posts][-3:] == [
        f"/v1/invoices/{invoice_id}/finalize",
        f"/v1/invoices/{invoice_id}/send",
        f"/v1/invoices/{invoice_id}/void",
    ]
    assert len(posts) == 6  # customer, invoice, item, finalize, send, void
    assert all(key and key.startswith("deputy:") for _, key in posts)


async def test_same_key_with_other_arguments_is_refused_not_executed(
    client: StripeInvoicingClient, stripe_fake: FakeStripe
) -> None:
    await inv.create_customer(client, context("k"), name="One", email="one@x.test")
    with pytest.raises(PermanentError, match="different arguments"):
        await inv.create_customer(client, context("k"), name="Two", email="two@x.test")
    assert [c["name"] for c in stripe_fake.customers.values()] == ["One"]


async def test_amounts_must_be_integers_in_minor_units(
    client: StripeInvoicingClient, stripe_fake: FakeStripe
) -> None:
    spec = discover(["invoicing"]).spec("invoicing.create_invoice_item")
    assert spec is not None
    good = {"customer": "cus_1", "amount": 1999, "currency": "eur", "description": "x"}
    jsonschema.validate(good, spec.args)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, "amount": 19.99}, spec.args)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, "amount": "1999"}, spec.args)

    cus = await new_customer(client, "Acme", "a@acme.test", step="setup")
    stripe_fake.requests.clear()
    # JSON-schema counts 20.0 as an integer; the action still refuses a float
    with pytest.raises(InvalidArguments, match="integer"):
        await inv.create_invoice_item(
            client, context(), customer=cus, amount=20.0, currency="eur", description="x"
        )
    with pytest.raises(InvalidArguments, match=r"items\[1\]\.amount"):
        await inv.create_invoice(
            client,
            context(),
            customer=cus,
            currency="eur",
            items=[{"amount": 100, "description": "ok"}, {"amount": 0.5, "description": "bad"}],
        )
    assert stripe_fake.requests == []  # refused before anything was written


async def test_rate_limit_is_transient_with_the_servers_retry_after(
    client: StripeInvoicingClient, stripe_fake: FakeStripe
) -> None:
    stripe_fake.fail_next(429, retry_after="7")
    with pytest.raises(TransientError) as caught:
        await inv.list_customers(client, context())
    assert caught.value.retry_after == 7.0
    assert (await inv.list_customers(client, context()))["count"] == 0  # next call goes through


async def test_server_error_is_transient_and_sdk_does_not_retry_on_its_own(
    client: StripeInvoicingClient, stripe_fake: FakeStripe
) -> None:
    stripe_fake.fail_next(500, count=1)
    with pytest.raises(TransientError, match="500"):
        await inv.create_customer(client, context("x"), name="A", email="a@a.test")
    assert len(stripe_fake.requests) == 1
    # the executor's retry of the same step succeeds and creates exactly one customer
    await inv.create_customer(client, context("x"), name="A", email="a@a.test")
    assert len(stripe_fake.customers) == 1


async def test_unknown_invoice_is_a_clear_permanent_failure(client: StripeInvoicingClient) -> None:
    with pytest.raises(PermanentError, match="not found.*in_missing"):
        await inv.retrieve_invoice(client, context(), invoice_id="in_missing")


async def test_slow_stripe_is_a_transient_timeout(stripe_fake: FakeStripe) -> None:
    stripe_fake.delay_seconds = 0.6
    impatient = StripeInvoicingClient(api_url=stripe_fake.url, timeout=0.2)
    try:
        with pytest.raises(TransientError):
            await inv.list_customers(impatient, context())
    finally:
        await impatient.aclose()


async def test_refused_key_asks_to_reconnect_and_never_shows_the_key(
    client: StripeInvoicingClient, stripe_fake: FakeStripe, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong_key = "sk_test_wrong_secret_value_987654"
    with pytest.raises(ReconnectNeeded) as wrong:
        await inv.list_customers(client, context(api_key=wrong_key))
    stripe_fake.fail_next(401)
    with pytest.raises(ReconnectNeeded) as revoked:
        await inv.create_customer(client, context("y"), name="A", email="a@a.test")
    await inv.list_customers(client, context())

    for err in (wrong.value, revoked.value):
        assert "connect invoicing" in str(err)
        assert wrong_key not in str(err) and API_KEY not in str(err)
        assert wrong_key[-4:] not in str(err)
    assert caplog.records  # the SDK and httpx did log; none of it carries a key
    assert wrong_key not in caplog.text and API_KEY not in caplog.text


async def test_missing_credentials_mean_not_connected(client: StripeInvoicingClient) -> None:
    ctx = context(api_key="")
    with pytest.raises(NotConnected):
        await inv.list_overdue(client, ctx)


@pytest.mark.parametrize("bad", ["ap@acme.test\r\nBcc: thief@evil.example", "ap@acme.test, thief@evil.example"])
async def test_a_customer_email_is_one_address_or_nothing_reaches_stripe(
    client: StripeInvoicingClient, stripe_fake: FakeStripe, bad: str
) -> None:
    with pytest.raises(InvalidArguments, match="invoicing: email"):
        await inv.create_customer(client, context(), name="Acme", email=bad)
    assert stripe_fake.requests == [] and stripe_fake.customers == {}
