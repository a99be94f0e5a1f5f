"""Bad input gets 401/400 and reaches nothing; retries are dropped; acks never wait for the core."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import pytest

from bot.adapters.slack.app import SlackAdapter
from tests.adapters.slack import wire
from tests.adapters.slack.conftest import Recorder, Server
from tests.fakes.slack_api import FakeSlackApi

GOAL = wire.slash_command("delete every invoice")
MENTION = wire.event_callback(wire.mention("<@UDEPUTY> delete every invoice"))
BAD_EVENT = json.dumps({"type": "event_callback", "team_id": "T0001", "event_id": "EvBad", "event": "app_mention"})
NULL_ACTION = wire.interactive({**wire.block_actions("deputy:7:2:approve"), "actions": [None]})


async def assert_nothing_happened(adapter: SlackAdapter, recorder: Recorder, slack_api: FakeSlackApi) -> None:
    await adapter.drain()
    assert recorder.events == []
    assert [c.method for c in slack_api.calls if c.method != "auth.test"] == []


@pytest.mark.parametrize(
    ("body", "content_type", "headers", "expected"),
    [
        pytest.param(GOAL, wire.FORM, lambda: wire.sign(GOAL, secret="not-the-secret"), 401, id="wrong-signature"),
        pytest.param(GOAL, wire.FORM, lambda: wire.sign(GOAL, timestamp=int(time.time()) - 301), 401, id="timestamp-5-minutes-old"),
        pytest.param(GOAL, wire.FORM, lambda: {"X-Slack-Request-Timestamp": str(int(time.time()))}, 401, id="no-signature-header"),
        pytest.param(GOAL, wire.FORM, lambda: {}, 401, id="no-headers"),
        pytest.param(MENTION[:-20], wire.JSON, lambda: wire.sign(MENTION), 401, id="truncated-body"),
        pytest.param(GOAL + "&text=other", wire.FORM, lambda: wire.sign(GOAL), 401, id="tampered-body"),
        pytest.param(MENTION[:-20], wire.JSON, lambda: wire.sign(MENTION[:-20]), 400, id="malformed-json-signed"),
        pytest.param("payload=%7B%22type%22%3A", wire.FORM, lambda: wire.sign("payload=%7B%22type%22%3A"), 400, id="malformed-payload-signed"),
        # found by tests/fuzz/test_fuzz_slack.py: each of these once made the SDKs or the
        # adapter raise, and the server answered 500
        pytest.param(GOAL, wire.FORM, lambda: {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=zz"}, 401,
                     id="non-numeric-timestamp"),
        pytest.param("null", wire.JSON, lambda: wire.sign("null"), 400, id="signed-json-not-an-object"),
        pytest.param(BAD_EVENT, wire.JSON, lambda: wire.sign(BAD_EVENT), 400, id="signed-event-of-the-wrong-type"),
        pytest.param(NULL_ACTION, wire.FORM, lambda: wire.sign(NULL_ACTION), 400, id="signed-actions-holding-null"),
    ],
)
async def test_refused_requests_reach_nothing(
    server: Server, adapter: SlackAdapter, recorder: Recorder, slack_api: FakeSlackApi,
    body: str, content_type: str, headers: Callable[[], dict[str, str]], expected: int,
) -> None:
    # signed when the test runs, not when the module is imported: in a long run a
    # signature made at import would be past Slack's 5-minute window
    status, _, _ = await server.post(body, content_type, headers())
    assert status == expected
    await assert_nothing_happened(adapter, recorder, slack_api)


@pytest.mark.parametrize(
    "action_id", ["deputy:7:2:explode", "deputy:seven:2:approve", "launch_missiles", "deputy:7:2"]
)
async def test_unknown_action_ids_are_refused(
    server: Server, adapter: SlackAdapter, recorder: Recorder, slack_api: FakeSlackApi, action_id: str
) -> None:
    body = wire.interactive(wire.block_actions(action_id))
    status, _, _ = await server.post(body, wire.FORM, wire.sign(body))
    assert status == 400
    await assert_nothing_happened(adapter, recorder, slack_api)


async def test_slash_command_missing_fields_is_refused(
    server: Server, adapter: SlackAdapter, recorder: Recorder, slack_api: FakeSlackApi
) -> None:
    body = "command=%2Fdeputy&text=hello&team_id=T0001"
    status, _, _ = await server.post(body, wire.FORM, wire.sign(body))
    assert status == 400
    await assert_nothing_happened(adapter, recorder, slack_api)


async def test_a_retried_event_is_dispatched_once(server: Server, adapter: SlackAdapter, recorder: Recorder) -> None:
    first = await server.post(MENTION, wire.JSON, wire.sign(MENTION))
    retry_headers = {**wire.sign(MENTION), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    second = await server.post(MENTION, wire.JSON, retry_headers)
    third = await server.post(MENTION, wire.JSON, {**wire.sign(MENTION), "X-Slack-Retry-Num": "2"})
    assert [r[0] for r in (first, second, third)] == [200, 200, 200]
    await adapter.drain()
    assert len(recorder.events) == 1
    assert recorder.events[0].event_id == "slack:Ev0PV52K21"


async def test_every_entry_point_acks_fast_while_the_core_is_slow(
    server: Server, adapter: SlackAdapter, recorder: Recorder
) -> None:
    recorder.delay = 60.0  # the core holds every event until the test releases it
    modify_value = json.dumps({"e": [[1, "title", "Sync"]]})
    view = {
        "type": "modal", "callback_id": "deputy_modify",
        "private_metadata": json.dumps({"plan": 7, "version": 2, "channel": wire.CHANNEL, "thread": "1.1"}),
        "blocks": [{"type": "input", "block_id": "arg:1:title",
                    "element": {"type": "plain_text_input", "action_id": "value", "initial_value": "Sync"}}],
    }
    requests = [
        (wire.slash_command("plan the offsite"), wire.FORM),
        (wire.event_callback(wire.mention("<@UDEPUTY> plan it"), event_id="EvSlow1"), wire.JSON),
        (wire.event_callback(wire.message("Thursday", thread_ts="1.1"), event_id="EvSlow2"), wire.JSON),
        (wire.interactive(wire.block_actions("deputy:7:2:approve")), wire.FORM),
        (wire.interactive(wire.block_actions("deputy:7:2:modify", value=modify_value)), wire.FORM),
        (wire.interactive(wire.view_submission(view, {"arg:1:title": "Offsite"})), wire.FORM),
    ]
    for body, content_type in requests:
        # 20 s: only a guard against hanging (an ack that waited for the core would take 60 s)
        status, _, _ = await asyncio.wait_for(server.post(body, content_type, wire.sign(body)), 20)
        assert status == 200
    await recorder.wait(5)  # every event reached the core; modify only opened a modal
    # every ack came back while the core still held every event: none waited for the work
    assert recorder.finished == 0
    recorder.released.set()
