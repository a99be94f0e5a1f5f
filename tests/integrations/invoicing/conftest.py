"""Fixtures: the fake Stripe on 127.0.0.1 and the real client (official SDK) pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.domain import Actor
from bot.registry.contract import CallContext
from integrations.invoicing import actions
from integrations.invoicing.client import StripeInvoicingClient
from tests.fakes.stripe_api import FakeStripe

API_KEY = "sk_test_fake_key_1234567890"


@pytest.fixture
async def stripe_fake() -> AsyncIterator[FakeStripe]:
    fake = FakeStripe(api_keys={API_KEY})
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def client(stripe_fake: FakeStripe) -> AsyncIterator[StripeInvoicingClient]:
    client = StripeInvoicingClient(api_url=stripe_fake.url, timeout=5.0)
    yield client
    await client.aclose()


def context(step_key: str = "run-1:step-1", api_key: str = API_KEY) -> CallContext:
    actor = Actor(platform="shell", team_id="local", user_id="ana", display_name="Ana")
    return CallContext(idempotency_key=step_key, actor=actor, credentials={"api_key": api_key})


async def new_customer(client: StripeInvoicingClient, name: str, email: str, step: str) -> str:
    made = await actions.create_customer(client, context(step), name=name, email=email)
    return str(made["customer"]["id"])
