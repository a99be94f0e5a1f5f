"""SMTP failures as the user meets them: reconnect, retry or a clear failure — never a secret."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
import time
from collections.abc import AsyncIterator

import pytest

from bot.errors import PermanentError, ReconnectNeeded, TransientError
from integrations.email.actions import send
from integrations.email.client import SmtpClient, check_credentials
from tests.integrations.email.conftest import SMTP_PASSWORD, SMTP_USER, SmtpServer

WRONG_PASSWORD = "hunter2-but-wrong"


def _leaks(text: str) -> list[str]:
    secrets = [SMTP_PASSWORD, WRONG_PASSWORD]
    # AUTH PLAIN sends base64("\0user\0password")
    secrets += [base64.b64encode(f"\0{SMTP_USER}\0{s}".encode()).decode() for s in (SMTP_PASSWORD, WRONG_PASSWORD)]
    return [s for s in secrets if s in text]


async def test_login_with_the_right_password_sends(client: SmtpClient, smtp_auth: SmtpServer) -> None:
    credentials = smtp_auth.credentials(username=SMTP_USER, password=SMTP_PASSWORD)
    await check_credentials(credentials)
    await send(client, smtp_auth.context(username=SMTP_USER, password=SMTP_PASSWORD),
               to="bob@example.com", subject="Hi", body="Hello")  # fmt: skip
    assert len(smtp_auth.messages) == 1


async def test_a_wrong_password_asks_to_reconnect_and_leaks_nothing(
    client: SmtpClient, smtp_auth: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ReconnectNeeded) as raised:
        await send(client, smtp_auth.context(username=SMTP_USER, password=WRONG_PASSWORD),
                   to="bob@example.com", subject="Hi", body="Hello")  # fmt: skip
    assert "connect email" in str(raised.value)
    with pytest.raises(ReconnectNeeded) as at_connect:
        await check_credentials(smtp_auth.credentials(username=SMTP_USER, password=WRONG_PASSWORD))
    # the test server's own log ("mail.log") is not Deputy's; everything else must be clean
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))
    texts = [str(raised.value), repr(raised.value), str(raised.value.__cause__), str(at_connect.value), ours]
    assert _leaks("\n".join(texts)) == []
    assert smtp_auth.messages == []


async def test_a_server_requiring_login_refuses_an_anonymous_send(
    client: SmtpClient, smtp_auth: SmtpServer
) -> None:
    with pytest.raises(PermanentError):
        await send(client, smtp_auth.context(), to="bob@example.com", subject="Hi", body="Hello")
    assert smtp_auth.messages == []


async def test_nothing_listening_is_worth_a_retry(client: SmtpClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    credentials = {"host": "127.0.0.1", "port": str(port), "security": "none", "from_address": "a@example.com"}
    with pytest.raises(TransientError, match="cannot reach"):
        await check_credentials(credentials, timeout_seconds=2)


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A server that accepts connections and never greets."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]
        server.close()


async def test_a_silent_server_times_out(silent_port: int) -> None:
    credentials = {"host": "127.0.0.1", "port": str(silent_port), "security": "none", "from_address": "a@example.com"}
    started = time.monotonic()
    with pytest.raises(TransientError):
        await check_credentials(credentials, timeout_seconds=0.3)
    assert time.monotonic() - started < 3


async def test_incomplete_or_wrong_settings(smtp_sink: SmtpServer) -> None:
    with pytest.raises(ReconnectNeeded):
        await check_credentials({"host": "127.0.0.1"})
    with pytest.raises(PermanentError, match="starttls, tls or none"):
        await check_credentials(smtp_sink.credentials(security="ssl3"))
    with pytest.raises(PermanentError, match="port must be a number"):
        await check_credentials(smtp_sink.credentials(port="smtp"))
    # asking for STARTTLS from a server that offers none is refused, not silently downgraded
    with pytest.raises(PermanentError, match="security setting"):
        await check_credentials(smtp_sink.credentials(security="starttls"))
