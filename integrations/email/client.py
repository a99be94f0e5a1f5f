"""The only module that talks to SMTP servers, with ``aiosmtplib`` (asyncio, no threads).

Credentials come per call; the password goes to the server's AUTH command and nowhere
else. aiosmtplib's exceptions are translated here into Deputy's error vocabulary, with
messages that never include the server's raw reply (it may echo what we sent).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

import aiosmtplib

from bot.sdk import IntegrationError, PermanentError, ReconnectNeeded, TransientError
from integrations.common import addresses

INTEGRATION = "email"
SECURITY_PORTS = {"tls": 465, "starttls": 587, "none": 25}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mailbox:
    """The user's SMTP account, read from the credentials of one call."""

    host: str
    port: int
    security: str
    from_address: str
    username: str = ""
    password: str = field(default="", repr=False)


def mailbox(credentials: Mapping[str, str]) -> Mailbox:
    host = credentials.get("host", "").strip()
    from_address = credentials.get("from_address", "").strip()
    if not host or not from_address:
        raise ReconnectNeeded(INTEGRATION)
    from_address = addresses.mailbox(from_address, "email: from_address")
    security = (credentials.get("security") or "starttls").strip().lower()
    if security not in SECURITY_PORTS:
        raise PermanentError("email: security must be starttls, tls or none")
    port_text = (credentials.get("port") or "").strip()
    try:
        port = int(port_text) if port_text else SECURITY_PORTS[security]
    except ValueError as err:
        raise PermanentError("email: the SMTP port must be a number") from err
    return Mailbox(
        host=host,
        port=port,
        security=security,
        from_address=from_address,
        username=credentials.get("username", "").strip(),
        password=credentials.get("password", ""),
    )


@dataclass(frozen=True)
class Delivery:
    accepted: list[str]
    refused: dict[str, str]  # recipient → the server's code, for a partial delivery


def translate(err: aiosmtplib.SMTPException, data_sent: bool = False) -> IntegrationError:
    """Deputy's error for an SMTP failure. Recipient addresses are not secret; replies are.

    ``data_sent``: the message itself (DATA) had started to go out. Before that, a timeout or
    a dropped connection delivered nothing (a server delivers only a message it accepted after
    DATA), so it may be sent again; after it, nobody can tell whether it was delivered."""
    if isinstance(err, aiosmtplib.SMTPAuthenticationError):
        return ReconnectNeeded(INTEGRATION)
    unknown = None if data_sent else False
    if isinstance(err, aiosmtplib.SMTPConnectTimeoutError | aiosmtplib.SMTPConnectError):
        return TransientError("email: cannot reach the SMTP server", sent=False)
    if isinstance(err, aiosmtplib.SMTPTimeoutError):
        return TransientError("email: the SMTP server did not answer in time", sent=unknown)
    if isinstance(err, aiosmtplib.SMTPServerDisconnected):
        return TransientError("email: the SMTP server closed the connection", sent=unknown)
    if isinstance(err, aiosmtplib.SMTPRecipientsRefused):
        refused = ", ".join(r.recipient for r in err.recipients)
        return PermanentError(f"email: the server refused the recipients: {refused}")
    if isinstance(err, aiosmtplib.SMTPRecipientRefused):
        return PermanentError(f"email: the server refused the recipient {err.recipient}")
    if isinstance(err, aiosmtplib.SMTPSenderRefused):
        return PermanentError(f"email: the server refused the sender address {err.sender}")
    if isinstance(err, aiosmtplib.SMTPResponseException):
        if 400 <= err.code < 500:  # SMTP 4xx: not accepted, try again later
            return TransientError(f"email: the server asked to try again later ({err.code})",
                                  sent=False)
        return PermanentError(f"email: the server refused the message ({err.code})")
    # what is left (SMTPNotSupported, or the base class aiosmtplib raises for a missing
    # STARTTLS or AUTH extension) means the settings ask for something the server lacks
    return PermanentError(
        "email: the server does not support what the connection settings ask for "
        "(check the security setting, and whether the server offers login)"
    )


class _TrackedSMTP(aiosmtplib.SMTP):
    """An SMTP connection that remembers whether the message itself (DATA) started to go out."""

    data_sent = False

    async def data(self, message: str | bytes, /, **kwargs: Any) -> aiosmtplib.SMTPResponse:
        self.data_sent = True
        return await super().data(message, **kwargs)


class SmtpClient:
    """Sends messages through the user's SMTP server. Built once per process."""

    def __init__(self, timeout_seconds: float = 20.0) -> None:
        self.timeout_seconds = timeout_seconds

    def _connection(self, box: Mailbox) -> _TrackedSMTP:
        return _TrackedSMTP(
            hostname=box.host,
            port=box.port,
            use_tls=box.security == "tls",
            start_tls=box.security == "starttls",
            username=box.username or None,
            password=box.password if box.username else None,
            timeout=self.timeout_seconds,
        )

    async def send(self, credentials: Mapping[str, str], message: EmailMessage) -> Delivery:
        box = mailbox(credentials)
        smtp = self._connection(box)
        try:
            async with smtp:
                errors, _ = await smtp.send_message(message)
        except aiosmtplib.SMTPException as err:
            raise translate(err, smtp.data_sent) from err
        except OSError as err:  # refused connection, DNS failure, TLS handshake; or a reset
            raise TransientError(f"email: cannot reach the SMTP server ({type(err).__name__})",
                                 sent=None if smtp.data_sent else False) from err
        refused = {address: str(code) for address, (code, _) in errors.items()}
        recipients = [a for _, a in _all_recipients(message)]
        accepted = [a for a in recipients if a not in refused]
        log.info("email: sent %s to %d recipient(s)", message["Message-ID"], len(accepted))
        return Delivery(accepted=accepted, refused=refused)

    async def verify(self, credentials: Mapping[str, str]) -> None:
        """Connect, negotiate TLS and log in, then leave: nothing is sent."""
        box = mailbox(credentials)
        try:
            async with self._connection(box) as smtp:
                await smtp.noop()
        except aiosmtplib.SMTPException as err:
            raise translate(err) from err
        except OSError as err:
            raise TransientError(f"email: cannot reach the SMTP server ({type(err).__name__})",
                                 sent=False) from err


def _all_recipients(message: EmailMessage) -> list[tuple[str, str]]:
    return getaddresses([str(v) for h in ("To", "Cc", "Bcc") for v in message.get_all(h, [])])


async def check_credentials(credentials: Mapping[str, str], timeout_seconds: float = 20.0) -> None:
    """Called when a user connects email: the server must accept the connection settings and
    the login. Raises ReconnectNeeded, PermanentError, or TransientError (unreachable)."""
    await SmtpClient(timeout_seconds).verify(credentials)
