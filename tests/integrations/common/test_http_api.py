"""bot.sdk.HttpApi, the scaffolding every HTTP integration client shares: what a failed
transport tells the executor (may the request have reached the provider?), the timeout taken
from the step's, the credential of one call, and closing."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

from bot.domain import Actor
from bot.sdk import CallContext, HttpApi, IntegrationEnv, NotConnected, TransientError
from tests.fakes.hubspot_api import FakeHubSpot


class Api(HttpApi):
    integration = "demo"
    provider = "Demo"
    credential_name = "token"
    default_api_url = "https://api.demo.example"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ctx(**credentials: str) -> CallContext:
    actor = Actor(platform="shell", team_id="local", user_id="ana", display_name="Ana")
    return CallContext(idempotency_key="run-1:s1", actor=actor, credentials=credentials)


async def test_a_refused_connection_was_certainly_not_sent() -> None:
    api = Api(api_url=f"http://127.0.0.1:{_free_port()}", timeout=2.0)
    with pytest.raises(TransientError, match="demo: could not reach Demo") as refused:
        await api.send("POST", "/things", {}, json={"a": 1})
    assert refused.value.sent is False  # a write may be sent again
    await api.aclose()


async def test_no_answer_in_time_may_have_been_sent() -> None:
    hubspot = FakeHubSpot(delay_seconds=0.5)
    await hubspot.start()
    api = Api(api_url=hubspot.url, timeout=0.1)
    try:
        with pytest.raises(TransientError, match="Demo did not answer within 0.1 s") as slow:
            await api.send("GET", "/crm/v3/objects/contacts/1", {})
        assert slow.value.sent is None  # nobody can tell: a write is never sent again
    finally:
        await api.aclose()
        await api.aclose()  # closing twice is harmless (the registry closes at every shutdown)
        await hubspot.stop()


def test_the_client_ends_inside_the_step_and_reads_its_credential_per_call() -> None:
    env = IntegrationEnv(settings=SimpleNamespace(step_timeout_seconds=5.0, home="."), database=None)
    api = Api.from_env(env, None)
    assert (api.api_url, api.timeout) == ("https://api.demo.example", 5.0)
    assert Api.from_env(env, "http://127.0.0.1:9/").api_url == "http://127.0.0.1:9"
    assert api.credential(_ctx(token="t0k")) == "t0k"
    with pytest.raises(NotConnected, match="connect demo"):
        api.credential(_ctx())
