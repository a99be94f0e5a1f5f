"""Real SMTP servers (aiosmtpd) in the test's own event loop, on 127.0.0.1 port 0.

``smtp_sink`` accepts anything; ``smtp_auth`` requires AUTH with one known password.
Addresses at refused.example are refused at RCPT, the way a server refuses unknown users.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from bot.domain import Actor
from bot.registry import CallContext
from integrations.email.client import SmtpClient

SMTP_USER = "ada@example.com"
SMTP_PASSWORD = "correct-horse-battery-staple"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Recorder:
    """The aiosmtpd handler: keeps every message it accepts."""

    messages: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.endswith("@refused.example"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def _authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == SMTP_USER
        and auth_data.password.decode() == SMTP_PASSWORD
    )
    # handled=False: aiosmtpd then answers 235 or 535 itself
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    port: int
    recorder: Recorder

    @property
    def messages(self) -> list[Received]:
        return self.recorder.messages

    def credentials(self, **overrides: str) -> dict[str, str]:
        values = {
            "host": "127.0.0.1",
            "port": str(self.port),
            "security": "none",
            "from_address": f"Ada Lovelace <{SMTP_USER}>",
        }
        return values | overrides

    def context(self, key: str = "run-1:s1", **overrides: str) -> CallContext:
        actor = Actor(platform="shell", team_id="local", user_id="ada")
        return CallContext(idempotency_key=key, actor=actor, credentials=self.credentials(**overrides))


async def _serve(**smtp_options: Any) -> AsyncIterator[SmtpServer]:
    recorder = Recorder()
    loop = asyncio.get_running_loop()

    def protocol() -> SMTP:
        with warnings.catch_warnings():
            # the AUTH-without-TLS warning is expected: the test server has no certificate
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            return SMTP(recorder, hostname="deputy-test", **smtp_options)

    server = await loop.create_server(protocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield SmtpServer(port=port, recorder=recorder)
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def smtp_sink() -> AsyncIterator[SmtpServer]:
    async for server in _serve():
        yield server


@pytest.fixture
async def smtp_auth() -> AsyncIterator[SmtpServer]:
    # plain-text AUTH is allowed here because the test server has no certificate
    async for server in _serve(authenticator=_authenticator, auth_required=True, auth_require_tls=False):
        yield server


@pytest.fixture
def client() -> SmtpClient:
    return SmtpClient(timeout_seconds=5)
