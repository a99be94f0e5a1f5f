"""The email actions: send, reply, and a draft the plan card shows before approval.

A sent message's Message-ID comes from the step's idempotency key: the same step always
writes the same id, so a repeat is recognisable. SMTP itself cannot refuse a repeat, which
is why the manifest says ``idempotent_writes: false`` (an interrupted send is reported,
never re-sent).
"""

from __future__ import annotations

from typing import Any

from bot.sdk import ActionSet, CallContext, IntegrationEnv
from integrations.email import message as mail
from integrations.email.client import SmtpClient, mailbox


def _client(env: IntegrationEnv) -> SmtpClient:
    return SmtpClient(timeout_seconds=float(env.settings.step_timeout_seconds))


actions = ActionSet("email", client_factory=_client)


def _draft(
    to: str | list[str],
    subject: str,
    body: str,
    cc: str | list[str] | None,
    reply_to: str | None,
    in_reply_to: str | None,
) -> mail.Draft:
    return mail.Draft(
        to=mail.addresses(to, "to"),
        subject=mail.one_line(subject, "subject"),
        body=body,
        cc=mail.addresses(cc, "cc"),
        reply_to=mail.addresses(reply_to, "reply_to")[0] if reply_to else None,
        in_reply_to=mail.one_line(in_reply_to, "in_reply_to") if in_reply_to else None,
    )


async def _send(client: SmtpClient, ctx: CallContext, draft: mail.Draft) -> dict[str, Any]:
    box = mailbox(ctx.credentials)
    msg_id = mail.message_id(ctx.idempotency_key, box.from_address)
    message = mail.build(draft, from_address=box.from_address, msg_id=msg_id)
    delivery = await client.send(ctx.credentials, message)
    return {
        "message_id": msg_id,
        "from": box.from_address,
        "to": draft.to,
        "cc": draft.cc,
        "subject": draft.subject,
        "accepted": delivery.accepted,
        "refused": delivery.refused,
    }


@actions.action("send")
async def send(
    client: SmtpClient,
    ctx: CallContext,
    to: str | list[str],
    subject: str,
    body: str,
    cc: str | list[str] | None = None,
    reply_to: str | None = None,
) -> dict[str, Any]:
    return await _send(client, ctx, _draft(to, subject, body, cc, reply_to, None))


@actions.action("reply")
async def reply(
    client: SmtpClient,
    ctx: CallContext,
    to: str | list[str],
    subject: str,
    body: str,
    in_reply_to: str,
    cc: str | list[str] | None = None,
) -> dict[str, Any]:
    draft = _draft(to, mail.reply_subject(subject), body, cc, None, in_reply_to)
    return await _send(client, ctx, draft) | {"in_reply_to": draft.in_reply_to}


@actions.action("draft")
async def draft(
    client: SmtpClient,
    ctx: CallContext,
    to: str | list[str],
    subject: str,
    body: str,
    cc: str | list[str] | None = None,
    reply_to: str | None = None,
    in_reply_to: str | None = None,
) -> dict[str, Any]:
    """The message as it would be sent, for a plan card; nothing leaves the machine."""
    if in_reply_to:
        subject = mail.reply_subject(subject)
    prepared = _draft(to, subject, body, cc, reply_to, in_reply_to)
    from_address = ctx.credentials.get("from_address", "").strip()
    message = mail.build(prepared, from_address=from_address, msg_id=None)
    return {
        "from": from_address,
        "to": prepared.to,
        "cc": prepared.cc,
        "subject": prepared.subject,
        "body": prepared.body,
        "text": mail.render(message),
    }
