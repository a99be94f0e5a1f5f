"""The email actions against a real SMTP server (aiosmtpd) in the test process."""

from __future__ import annotations

import pytest

from bot.domain import Effect
from bot.errors import InvalidArguments, PermanentError
from bot.registry import IntegrationEnv, discover
from bot.settings import load_settings
from integrations.email.actions import draft, reply, send
from integrations.email.client import SmtpClient
from tests.integrations.email.conftest import SmtpServer


def test_manifest_says_what_the_executor_must_know() -> None:
    loaded = discover(["email"]).get("email")
    assert loaded is not None
    manifest = loaded.manifest
    assert manifest.idempotent_writes is False
    effects = {a.name: a.effect for a in manifest.actions}
    assert effects == {"send": Effect.WRITE, "reply": Effect.WRITE, "draft": Effect.READ}
    assert all(a.undo is None for a in manifest.actions)  # a sent email cannot be unsent
    assert [c.name for c in manifest.credentials if c.secret] == ["password"]
    client = loaded.actions.client_factory(IntegrationEnv(settings=load_settings(step_timeout_seconds=9), database=None))
    assert isinstance(client, SmtpClient) and client.timeout_seconds == 9


async def test_send_delivers_the_message_and_returns_its_id(client: SmtpClient, smtp_sink: SmtpServer) -> None:
    result = await send(
        client, smtp_sink.context(), to=["bob@example.com"], cc="Carol <carol@example.com>",
        subject="March invoice", body="Hi Bob,\n\nYour invoice is attached.\n", reply_to="billing@example.com",
    )  # fmt: skip
    (received,) = smtp_sink.messages
    assert received.mail_from == "ada@example.com"
    assert sorted(received.rcpt_tos) == ["bob@example.com", "carol@example.com"]
    message = received.message
    assert message["From"] == "Ada Lovelace <ada@example.com>"
    assert message["To"] == "bob@example.com"
    assert message["Cc"] == "Carol <carol@example.com>"
    assert message["Reply-To"] == "billing@example.com"
    assert message["Subject"] == "March invoice"
    assert message["Date"]
    assert message.get_content().replace("\r\n", "\n") == "Hi Bob,\n\nYour invoice is attached.\n"
    assert message["Message-ID"] == result["message_id"]
    assert result["message_id"].startswith("<deputy.") and result["message_id"].endswith("@example.com>")
    assert result["accepted"] == ["bob@example.com", "carol@example.com"]
    assert result["refused"] == {}


async def test_the_message_id_follows_the_step(client: SmtpClient, smtp_sink: SmtpServer) -> None:
    args = {"to": "bob@example.com", "subject": "Hello", "body": "Hi"}
    first = await send(client, smtp_sink.context(key="run-3:s2"), **args)
    repeat = await send(client, smtp_sink.context(key="run-3:s2"), **args)
    other = await send(client, smtp_sink.context(key="run-3:s3"), **args)
    assert first["message_id"] == repeat["message_id"]  # a repeat is recognisable
    assert other["message_id"] != first["message_id"]
    assert [r.message["Message-ID"] for r in smtp_sink.messages] == [
        first["message_id"], first["message_id"], other["message_id"],
    ]  # fmt: skip


async def test_reply_is_threaded_under_the_original(client: SmtpClient, smtp_sink: SmtpServer) -> None:
    result = await reply(
        client, smtp_sink.context(), to="bob@example.com", subject="Invoice 42",
        body="Thanks, received.", in_reply_to="<abc123@mail.example.com>",
    )  # fmt: skip
    message = smtp_sink.messages[0].message
    assert message["Subject"] == "Re: Invoice 42"
    assert message["In-Reply-To"] == "<abc123@mail.example.com>"
    assert message["References"] == "<abc123@mail.example.com>"
    assert result["in_reply_to"] == "<abc123@mail.example.com>"
    again = await reply(
        client, smtp_sink.context(key="k2"), to="bob@example.com", subject="RE: Invoice 42",
        body="One more thing.", in_reply_to="<abc123@mail.example.com>",
    )  # fmt: skip
    assert again["subject"] == "RE: Invoice 42"


async def test_draft_shows_the_message_and_sends_nothing(client: SmtpClient, smtp_sink: SmtpServer) -> None:
    result = await draft(
        client, smtp_sink.context(), to=["bob@example.com"], subject="Überfällige Rechnung",
        body="Grüße — bitte zahlen.",
    )  # fmt: skip
    assert smtp_sink.messages == []
    assert result["from"] == "Ada Lovelace <ada@example.com>"
    assert result["subject"] == "Überfällige Rechnung"
    assert "To: bob@example.com" in result["text"]
    assert "Subject: Überfällige Rechnung" in result["text"]
    assert result["text"].endswith("Grüße — bitte zahlen.\n")


async def test_non_ascii_text_arrives_intact(client: SmtpClient, smtp_sink: SmtpServer) -> None:
    await send(client, smtp_sink.context(), to="José <jose@example.com>", subject="Überfällig: 12 €",
               body="Grüße aus Köln ✓")  # fmt: skip
    message = smtp_sink.messages[0].message
    assert message["Subject"] == "Überfällig: 12 €"
    assert message.get_content().strip() == "Grüße aus Köln ✓"


async def test_a_partly_refused_send_reports_who_did_not_get_it(
    client: SmtpClient, smtp_sink: SmtpServer
) -> None:
    result = await send(client, smtp_sink.context(), to=["bob@example.com", "ghost@refused.example"],
                        subject="Hi", body="Hello")  # fmt: skip
    assert result["accepted"] == ["bob@example.com"]
    assert list(result["refused"]) == ["ghost@refused.example"]
    assert smtp_sink.messages[0].rcpt_tos == ["bob@example.com"]


async def test_every_recipient_refused_fails_the_step(client: SmtpClient, smtp_sink: SmtpServer) -> None:
    with pytest.raises(PermanentError, match="refused the recipients: ghost@refused.example"):
        await send(client, smtp_sink.context(), to="ghost@refused.example", subject="Hi", body="Hello")
    assert smtp_sink.messages == []


@pytest.mark.parametrize(
    "args",
    [
        {"to": "bob@example.com", "subject": "Hi\r\nBcc: eve@example.com", "body": "x"},
        {"to": "bob@example.com\nBcc: eve@example.com", "subject": "Hi", "body": "x"},
        {"to": "not an address", "subject": "Hi", "body": "x"},
        {"to": ["bob@example.com", "eve@example.com\r\nBcc: mallory@example.com"], "subject": "Hi", "body": "x"},
        {"to": "bob@example.com, eve@example.com", "subject": "Hi", "body": "x"},
        {"to": "bob@example.com", "cc": "Eve <eve@example.com>, mallory@example.com", "subject": "Hi", "body": "x"},
        {"to": "bob@example.com", "reply_to": "eve@example.com\nBcc: mallory@example.com", "subject": "Hi", "body": "x"},
    ],
)
async def test_header_injection_and_bad_addresses_are_refused(
    client: SmtpClient, smtp_sink: SmtpServer, args: dict[str, str]
) -> None:
    with pytest.raises(InvalidArguments):
        await send(client, smtp_sink.context(), **args)
    assert smtp_sink.messages == []


async def test_one_address_per_field_and_a_list_for_several(client: SmtpClient, smtp_sink: SmtpServer) -> None:
    with pytest.raises(InvalidArguments, match="to: .*more than one address; give one address per field"):
        await send(client, smtp_sink.context(), to="bob@example.com, eve@example.com", subject="Hi", body="x")
    with pytest.raises(InvalidArguments, match=r"to\[1\]: .*line break"):
        await send(client, smtp_sink.context(), to=["bob@example.com", "eve@example.com\r\nBcc: m@example.com"],
                   subject="Hi", body="x")
    assert smtp_sink.messages == []
    await send(client, smtp_sink.context(), to=["Bob <bob@example.com>", "eve@example.com"], subject="Hi", body="x")
    [received] = smtp_sink.messages
    assert sorted(received.rcpt_tos) == ["bob@example.com", "eve@example.com"]


async def test_a_from_address_with_a_line_break_sends_nothing(client: SmtpClient, smtp_sink: SmtpServer) -> None:
    ctx = smtp_sink.context(from_address="me@example.com\r\nBcc: mallory@example.com")
    with pytest.raises(InvalidArguments, match="from_address: .*line break"):
        await send(client, ctx, to="bob@example.com", subject="Hi", body="x")
    assert smtp_sink.messages == []
