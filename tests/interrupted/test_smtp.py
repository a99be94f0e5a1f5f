"""Interrupted sends over SMTP (no idempotency keys), with aiosmtplib against a real aiosmtpd
server behind a proxy that stalls or drops the server's answer to the message (DATA) after
the server stored it: every write action delivers at most once and is "outcome unknown"."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.errors import PermanentError
from bot.registry import IntegrationEnv, Registry, discover
from integrations.email.client import SmtpClient
from tests.integrations.email.conftest import SmtpServer, smtp_sink
from tests.interrupted.contract import (
    MODES,
    assert_unknown_and_at_most_once,
    call,
    context,
    contract_settings,
    write_actions,
)
from tests.interrupted.proxy import InterruptingProxy, Mode, smtp_message_end

__all__ = ["smtp_sink"]

CASES: dict[str, dict[str, Any]] = {
    "send": {"to": ["ben@acme.example"], "subject": "Renewal", "body": "Due in May."},
    "reply": {"to": ["ben@acme.example"], "subject": "Re: Renewal", "body": "Thanks.",
              "in_reply_to": "<original-1@acme.example>"},
}


@dataclass
class World:
    sink: SmtpServer
    proxy: InterruptingProxy
    registry: Registry


@pytest.fixture(params=MODES)
async def world(request: pytest.FixtureRequest, smtp_sink: SmtpServer) -> AsyncIterator[World]:
    mode: Mode = request.param
    proxy = InterruptingProxy(smtp_sink.port, smtp_message_end, mode)
    await proxy.start()
    registry = discover(["email"])
    registry.start(IntegrationEnv(settings=contract_settings(), database=None, clock=None))
    loaded = registry.get("email")
    assert loaded is not None and isinstance(loaded.client, SmtpClient)
    loaded.client.timeout_seconds = 0.5  # the client's own timeout, inside the executor's
    yield World(smtp_sink, proxy, registry)
    await registry.aclose()
    await proxy.stop()


def test_every_write_has_a_case() -> None:
    assert write_actions(discover(["email"]), "email") == set(CASES)


@pytest.mark.parametrize("action", sorted(CASES))
async def test_an_interrupted_send_is_delivered_at_most_once_and_reported(
        world: World, action: str) -> None:
    credentials = world.sink.credentials(port=str(world.proxy.port))
    outcome = await call(world.registry, contract_settings(), f"email.{action}", CASES[action],
                         context(credentials))
    assert world.proxy.interrupted == 1, "the message never reached the server"
    delivered = len(world.sink.messages)
    assert_unknown_and_at_most_once(outcome, delivered, f"email.{action}")
    assert delivered == 1  # the server did store it, once


async def test_a_refused_connection_is_retried_because_nothing_was_sent(smtp_sink: SmtpServer) -> None:
    """The other half of the rule: a failure before anything was sent may be sent again."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    registry = discover(["email"])
    registry.start(IntegrationEnv(settings=contract_settings(), database=None, clock=None))
    with pytest.raises(PermanentError, match=r"cannot reach the SMTP server .*gave up after 2 tries"):
        await call(registry, contract_settings(step_attempts=2), "email.send", CASES["send"],
                   context(smtp_sink.credentials(port=str(closed_port))))
    await registry.aclose()
