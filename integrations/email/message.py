"""Building the messages the email actions send or show. Pure functions: no I/O here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, getaddresses

from bot.sdk import InvalidArguments
from integrations.common.addresses import mailbox, mailboxes


@dataclass(frozen=True)
class Draft:
    """What the user asked to send, before headers are fixed."""

    to: list[str]
    subject: str
    body: str
    cc: list[str]
    reply_to: str | None = None
    in_reply_to: str | None = None


def addresses(values: str | list[str] | None, field: str) -> list[str]:
    """One address per value ("a@x" or "B <b@y>"; a list for several recipients). A comma
    list in one string, a line break or anything that is not one RFC 5322 address is
    refused (integrations/common/addresses.py), so no header can be smuggled in."""
    if values is None:
        return []
    if isinstance(values, str):
        return [mailbox(values, field)]
    return mailboxes(values, field)


def one_line(value: str, field: str) -> str:
    if "\r" in value or "\n" in value:
        raise InvalidArguments(f"{field} must be a single line")
    return value.strip()


def message_id(idempotency_key: str, from_address: str) -> str:
    """The same step always gets the same Message-ID, so a repeat is recognisable in any
    mailbox (and by Deputy's own ledger); different steps never share one."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    _, address = getaddresses([from_address])[0] if from_address else ("", "")
    domain = address.rpartition("@")[2] or "deputy.invalid"
    return f"<deputy.{digest}@{domain}>"


def reply_subject(subject: str) -> str:
    return subject if subject[:3].lower() == "re:" else f"Re: {subject}"


def build(draft: Draft, *, from_address: str, msg_id: str | None) -> EmailMessage:
    """An RFC 5322 message; ``msg_id`` None for a draft that is only shown."""
    message = EmailMessage(policy=SMTP)
    if from_address:
        message["From"] = from_address
    message["To"] = ", ".join(draft.to)
    if draft.cc:
        message["Cc"] = ", ".join(draft.cc)
    if draft.reply_to:
        message["Reply-To"] = draft.reply_to
    message["Subject"] = draft.subject
    if draft.in_reply_to:
        # threading: mail clients group the reply with the message it answers
        message["In-Reply-To"] = draft.in_reply_to
        message["References"] = draft.in_reply_to
    if msg_id:
        message["Message-ID"] = msg_id
        message["Date"] = formatdate(localtime=False, usegmt=True)
    message.set_content(draft.body)
    return message


def render(message: EmailMessage) -> str:
    """Headers and body as a person reads them (no transfer encoding)."""
    headers = "\n".join(f"{name}: {value}" for name, value in message.items() if name.lower() not in ("content-type", "content-transfer-encoding", "mime-version"))
    body = message.get_content() if not message.is_multipart() else ""
    return f"{headers}\n\n{body}"
