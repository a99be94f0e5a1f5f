"""The fake Stripe refuses what Stripe refuses: each rule is shown with the official SDK sending
the bad request and getting Stripe's own error back, so a test fails where production would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import stripe

from bot.errors import TransientError
from integrations.invoicing.client import StripeInvoicingClient
from tests.fakes.stripe_api import FakeStripe
from tests.integrations.invoicing.conftest import API_KEY


@pytest.fixture
async def sdk(stripe_fake: FakeStripe) -> AsyncIterator[stripe.StripeClient]:
    http = stripe.HTTPXClient(timeout=5.0)
    yield stripe.StripeClient(
        API_KEY,
        base_addresses={"api": stripe_fake.url},
        http_client=http,
        max_network_retries=0,
    )
    await http.close_async()


async def test_an_unknown_parameter_is_refused_with_parameter_unknown(
    sdk: stripe.StripeClient, stripe_fake: FakeStripe
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        await sdk.v1.customers.create_async({"name": "Acme", "colour": "red"})  # type: ignore[typeddict-unknown-key]
    err = caught.value
    assert err.http_status == 400
    assert err.code == "parameter_unknown"
    assert err.param == "colour"
    assert err.user_message == "Received unknown parameter: colour"
    assert err.json_body is not None and err.json_body["error"]["type"] == "invalid_request_error"
    assert stripe_fake.customers == {}  # nothing was created

    # nested keys are checked where Stripe defines them (range filters)
    with pytest.raises(stripe.InvalidRequestError) as nested:
        await sdk.v1.invoices.list_async({"due_date": {"before": 1}})  # type: ignore[typeddict-item]
    assert nested.value.code == "parameter_unknown"
    assert nested.value.param == "due_date[before]"


async def test_send_invoice_without_payment_terms_is_refused_at_create(
    sdk: stripe.StripeClient, stripe_fake: FakeStripe
) -> None:
    customer = await sdk.v1.customers.create_async({"name": "Acme"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        await sdk.v1.invoices.create_async(
            {"customer": customer.id, "collection_method": "send_invoice"}
        )
    assert caught.value.http_status == 400
    assert caught.value.code == "parameter_missing"
    assert caught.value.param == "days_until_due"
    assert stripe_fake.invoices == {}

    # payment terms belong to send_invoice only
    with pytest.raises(stripe.InvalidRequestError) as terms:
        await sdk.v1.invoices.create_async({"customer": customer.id, "days_until_due": 30})
    assert terms.value.param == "days_until_due"

    ok = await sdk.v1.invoices.create_async(
        {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 14}
    )
    assert ok.days_until_due == 14 and list(stripe_fake.invoices) == [ok.id]


async def test_a_refused_request_is_not_saved_under_its_idempotency_key(
    sdk: stripe.StripeClient, stripe_fake: FakeStripe
) -> None:
    customer = await sdk.v1.customers.create_async({"name": "Acme"})
    key = {"idempotency_key": "deputy:run-1:step-1"}
    with pytest.raises(stripe.InvalidRequestError):
        await sdk.v1.invoices.create_async(
            {"customer": customer.id, "collection_method": "send_invoice"}, key
        )
    # the corrected retry with the same key runs: it is neither replayed nor an idempotency_error
    fixed = await sdk.v1.invoices.create_async(
        {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 7}, key
    )
    assert list(stripe_fake.invoices) == [fixed.id]
    # and a success is saved: the same request again is replayed, not executed
    again = await sdk.v1.invoices.create_async(
        {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 7}, key
    )
    assert again.id == fixed.id
    assert again.last_response is not None
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(stripe_fake.invoices) == 1


async def test_a_retry_while_the_first_is_in_flight_is_409_and_production_retries_it(
    stripe_fake: FakeStripe, client: StripeInvoicingClient
) -> None:
    stripe_fake.hold = asyncio.Event()
    params = {"name": "Acme", "email": "a@acme.test"}
    first = asyncio.create_task(client.create_customer(API_KEY, params, "deputy:k"))
    await asyncio.wait_for(stripe_fake.held.wait(), 5)  # the first request reached Stripe, held there
    # Stripe answers 409 idempotency_key_in_use: the first request may still succeed, so
    # Deputy must treat it as "try again" (with the same key), never as a failed step
    with pytest.raises(TransientError, match="still being processed"):
        await client.create_customer(API_KEY, params, "deputy:k")
    stripe_fake.hold.set()
    made = await first
    stripe_fake.hold = None
    replayed = await client.create_customer(API_KEY, params, "deputy:k")
    assert replayed["id"] == made["id"]
    assert len(stripe_fake.customers) == 1


async def test_stripe_version_is_honoured(
    sdk: stripe.StripeClient, stripe_fake: FakeStripe
) -> None:
    # the SDK pins its API version; the answer says which version it is in
    customer = await sdk.v1.customers.create_async({"name": "Acme"})
    assert customer.last_response is not None
    assert customer.last_response.headers["Stripe-Version"] == stripe.api_version
    assert stripe_fake.versions[-1] == stripe.api_version
    payments = await sdk.v1.invoice_payments.list_async()
    assert payments.data == []

    with pytest.raises(stripe.InvalidRequestError) as caught:
        await sdk.v1.customers.list_async(options={"stripe_version": "2019-2-19"})
    assert caught.value.http_status == 400
    assert caught.value.user_message == "Invalid Stripe API version: 2019-2-19"

    # without the header the account's default version applies: an older account has no
    # invoice_payments resource, so a client that does not pin its version breaks there
    async with httpx.AsyncClient(base_url=stripe_fake.url) as raw:
        answer = await raw.get(
            "/v1/invoice_payments", headers={"Authorization": f"Bearer {API_KEY}"}
        )
    assert answer.status_code == 404
    assert answer.headers["Stripe-Version"] == stripe_fake.api_version == "2024-06-20"
    assert answer.json()["error"]["type"] == "invalid_request_error"


async def test_production_pins_the_sdk_api_version(
    client: StripeInvoicingClient, stripe_fake: FakeStripe
) -> None:
    await client.list_invoice_payments(API_KEY, {}, 10)
    assert stripe_fake.versions == [stripe.api_version]
