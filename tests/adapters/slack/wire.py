"""Requests shaped exactly as Slack sends them, signed with the v0 scheme."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0001"
CHANNEL = "C0PLANS"


def sign(body: str, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def slash_command(text: str, *, user: str = "U0ANNA", channel: str = CHANNEL, trigger: str = "13345224609.738474920.8088930838d88f008e0", response_url: str = "https://hooks.slack.com/commands/T0001/1/x") -> str:
    return urlencode({
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "team_id": TEAM,
        "team_domain": "deputy-test",
        "channel_id": channel,
        "channel_name": "plans",
        "user_id": user,
        "user_name": "anna",
        "command": "/deputy",
        "text": text,
        "api_app_id": "A0001",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger,
    })


def event_callback(event: dict[str, Any], event_id: str = "Ev0PV52K21") -> str:
    return json.dumps({
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "team_id": TEAM,
        "api_app_id": "A0001",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1760000000,
        "authorizations": [
            {"enterprise_id": None, "team_id": TEAM, "user_id": "UDEPUTY", "is_bot": True, "is_enterprise_install": False}
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-eyJldCI6ImFwcF9tZW50aW9uIn0",
    })


def mention(text: str, *, ts: str = "1760000100.000100", thread_ts: str | None = None, user: str = "U0ANNA") -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "app_mention", "user": user, "text": text, "ts": ts, "channel": CHANNEL,
        "event_ts": ts, "team": TEAM, "client_msg_id": "e6a6c3e4-0000-4b0b-9d6e-1",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(text: str, *, ts: str = "1760000200.000200", thread_ts: str | None = None, user: str = "U0ANNA", **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "message", "channel": CHANNEL, "user": user, "text": text, "ts": ts,
        "event_ts": ts, "channel_type": "channel", "team": TEAM, **extra,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def interactive(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def block_actions(action_id: str, *, value: str = "1", user: str = "U0BOSS", thread_ts: str = "1760000001.000001", message_ts: str = "1760000002.000002", trigger: str = "12466734323.1395872398.8e1a4d8f0e") -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "boss", "name": "boss", "team_id": TEAM},
        "api_app_id": "A0001",
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": CHANNEL, "is_ephemeral": False, "thread_ts": thread_ts},
        "trigger_id": trigger,
        "team": {"id": TEAM, "domain": "deputy-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": CHANNEL, "name": "plans"},
        "message": {"type": "message", "user": "UDEPUTY", "bot_id": "BDEPUTY", "text": "Plan v1", "ts": message_ts, "thread_ts": thread_ts, "blocks": []},
        "state": {"values": {}},
        "response_url": "https://hooks.slack.com/actions/T0001/1/x",
        "actions": [{
            "action_id": action_id, "block_id": "deputy_plan",
            "text": {"type": "plain_text", "text": "Approve", "emoji": True},
            "value": value, "type": "button", "action_ts": "1760000300.123456",
        }],
    }


def view_submission(view: dict[str, Any], values: dict[str, str], *, user: str = "U0BOSS") -> dict[str, Any]:
    """A submission of ``view`` (as Deputy opened it) with some inputs retyped."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] == "input":
            typed = values.get(block["block_id"], block["element"]["initial_value"])
            state[block["block_id"]] = {"value": {"type": "plain_text_input", "value": typed}}
    submitted = {
        **view, "id": "V0001", "team_id": TEAM, "state": {"values": state}, "hash": "1760000400.AbCdEf",
        "previous_view_id": None, "root_view_id": "V0001", "app_id": "A0001", "external_id": "",
        "app_installed_team_id": TEAM, "bot_id": "BDEPUTY",
    }
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "deputy-test"},
        "user": {"id": user, "username": "boss", "name": "boss", "team_id": TEAM},
        "api_app_id": "A0001",
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "trigger_id": "12466734323.1395872398.abc",
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
