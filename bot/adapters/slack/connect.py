"""The connect form: a private message with a button that opens a credentials modal.

A modal needs a fresh ``trigger_id`` (valid 3 s), which the core's reply no longer has; so
the core's ConnectForm becomes an ephemeral message whose button opens the modal. What is
typed goes straight to Deputy's server in the view_submission, never into a channel.
"""

from __future__ import annotations

import json
from typing import Any

from bot.adapters.slack.blocks import Block, clip, escape, section
from bot.chat.replies import ConnectForm, FormField

ACTION_PREFIX = "deputy_connect:"
CALLBACK_ID = "deputy_connect"
INPUT_ACTION = "value"


class BadConnectForm(ValueError):
    pass


def form_value(form: ConnectForm) -> str:
    """The form, compact, as a button value (Slack allows 2,000 characters)."""
    fields = [[f.name, f.label, f.required, f.description] for f in form.fields]
    value = json.dumps({"i": form.integration, "t": form.title, "f": fields}, ensure_ascii=False)
    if len(value) > 2000:
        raise BadConnectForm("the connect form does not fit in a Slack button")
    return value


def connect_blocks(form: ConnectForm) -> tuple[str, list[Block]]:
    value = form_value(form)
    text = f"Connect {form.integration}"
    blocks: list[Block] = [
        section(f"🔑 {escape(form.title)}\nOnly you see this; what you type goes to Deputy, not the channel."),
        {
            "type": "actions",
            "block_id": "deputy_connect",
            "elements": [{
                "type": "button", "style": "primary", "action_id": clip(ACTION_PREFIX + form.integration, 255),
                "text": {"type": "plain_text", "text": clip(text, 75)}, "value": value,
            }],
        },
    ]
    return text, blocks


def connect_modal(button_value: str, channel_id: str, thread_id: str | None) -> dict[str, Any]:
    try:
        data = json.loads(button_value)
        integration = str(data["i"])
        fields = [FormField(name=str(n), label=str(lb), required=bool(r), description=str(d)) for n, lb, r, d in data["f"]]
    except (ValueError, KeyError, TypeError) as err:
        raise BadConnectForm("not a Deputy connect button") from err
    blocks: list[Block] = [section(escape(str(data.get("t") or f"Connect {integration}")))]
    for f in fields[:99]:
        block: Block = {
            "type": "input", "block_id": clip(f"field:{f.name}", 255), "optional": not f.required,
            "label": {"type": "plain_text", "text": clip(f.label or f.name, 2000)},
            "element": {"type": "plain_text_input", "action_id": INPUT_ACTION},
        }
        if f.description:
            block["hint"] = {"type": "plain_text", "text": clip(f.description, 2000)}
        blocks.append(block)
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": {"type": "plain_text", "text": clip(f"Connect {integration}", 24)},
        "submit": {"type": "plain_text", "text": "Connect"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"integration": integration, "channel": channel_id, "thread": thread_id}),
        "blocks": blocks,
    }


def read_connect(view: dict[str, Any]) -> tuple[str, str, str | None, dict[str, str]]:
    """(integration, channel, thread, typed values by field name); empty optionals left out."""
    try:
        meta = json.loads(view["private_metadata"])
        values = view["state"]["values"]
        integration, channel = str(meta["integration"]), str(meta["channel"])
    except (KeyError, TypeError, ValueError) as err:
        raise BadConnectForm("not a Deputy connect form") from err
    typed: dict[str, str] = {}
    for block_id, inputs in values.items():
        if str(block_id).startswith("field:"):
            value = (inputs.get(INPUT_ACTION) or {}).get("value")
            if value:
                typed[str(block_id)[len("field:"):]] = str(value)
    thread = meta.get("thread")
    return integration, channel, None if thread is None else str(thread), typed
