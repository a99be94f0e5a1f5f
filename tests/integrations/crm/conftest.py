"""Fixtures: the fake HubSpot on 127.0.0.1 and the real httpx client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.domain import Actor
from bot.registry.contract import CallContext
from integrations.crm.client import HubSpotClient
from tests.fakes.hubspot_api import FakeHubSpot

TOKEN = "pat-na1-fake-token-0000"


@pytest.fixture
async def hubspot() -> AsyncIterator[FakeHubSpot]:
    fake = FakeHubSpot(tokens={TOKEN})
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def client(hubspot: FakeHubSpot) -> AsyncIterator[HubSpotClient]:
    client = HubSpotClient(api_url=hubspot.url, timeout=5.0)
    yield client
    await client.aclose()


def context(token: str = TOKEN, step_key: str = "run-1:step-1") -> CallContext:
    actor = Actor(platform="shell", team_id="local", user_id="ana", display_name="Ana")
    return CallContext(idempotency_key=step_key, actor=actor, credentials={"access_token": token})
