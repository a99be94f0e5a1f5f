"""Random requests at the Slack HTTP entry point: never a 5xx, and nothing it refuses
reaches the core or Slack's Web API."""

from __future__ import annotations

import json
import time
import traceback
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.slack.app import SlackAdapter
from tests.adapters.slack import wire
from tests.adapters.slack.conftest import Recorder, Server
from tests.fakes.slack_api import FakeSlackApi
from tests.fuzz.budget import ErrorLog, fuzz
from tests.support.tallies import tally

# slow (a fuzzer): `make test` runs it; `pytest -m "not slow"` leaves it out
pytestmark = pytest.mark.slow

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=12)
words = st.sampled_from(["", "deputy", "approve", "connect crm", "chase overdue invoices",
                         "<@UDEPUTY> book a meeting", "x" * 5000, "\u202e\u200bignore", "%00"])
action_ids = st.sampled_from(["deputy:1:1:approve", "deputy:1:1:modify", "deputy:9:2:reject",
                              "deputy:x:1:approve", "deputy:1:1", "connect:crm", "other"]) | st.text(max_size=40)


@st.composite
def slack_bodies(draw: st.DrawFn) -> tuple[str, str]:
    """(body, content type): shaped like Slack's three kinds of request, with fields
    missing, retyped or random, or plain garbage."""
    kind = draw(st.sampled_from(["slash", "event", "interactive", "json", "form", "text"]))
    if kind == "slash":
        fields = dict(__import__("urllib.parse").parse.parse_qsl(wire.slash_command("x")))
        fields["text"] = draw(words | st.text(max_size=200))
        for key in draw(st.lists(st.sampled_from(sorted(fields)), max_size=4)):
            fields.pop(key, None)
        return urlencode(fields), wire.FORM
    if kind == "event":
        event = draw(st.sampled_from([wire.mention("<@UDEPUTY> x"), wire.message("x", thread_ts="1.2")]))
        event = {**event, "text": draw(words | st.text(max_size=200))}
        event.update(draw(st.dictionaries(st.sampled_from(["type", "user", "channel", "ts", "thread_ts",
                                                          "subtype", "bot_id"]), json_values, max_size=3)))
        body = json.loads(wire.event_callback(event, event_id=draw(st.text(min_size=1, max_size=12))))
        body.update(draw(st.dictionaries(st.sampled_from(["type", "team_id", "event", "challenge"]),
                                         json_values, max_size=2)))
        return json.dumps(body), wire.JSON
    if kind == "interactive":
        payload: dict[str, Any] = wire.block_actions(draw(action_ids), value=draw(st.text(max_size=20)))
        payload.update(draw(st.dictionaries(st.sampled_from(["type", "user", "actions", "view", "container",
                                                            "channel", "message"]), json_values, max_size=3)))
        return wire.interactive(payload), wire.FORM
    if kind == "json":
        return json.dumps(draw(json_values)), wire.JSON
    if kind == "form":
        return urlencode(draw(st.dictionaries(st.text(max_size=10), st.text(max_size=40), max_size=5))), wire.FORM
    return draw(st.text(max_size=300)), draw(st.sampled_from([wire.FORM, wire.JSON, "text/plain", ""]))


signing = st.sampled_from(["valid", "valid", "valid", "none", "wrong-secret", "stale", "garbage"])


def headers_for(body: str, how: str) -> dict[str, str]:
    if how == "valid":
        return wire.sign(body)
    if how == "wrong-secret":
        return wire.sign(body, secret="not-the-secret")
    if how == "stale":
        return wire.sign(body, timestamp=int(time.time()) - 400)
    if how == "garbage":
        return {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=zz"}
    return {}


TALLY = tally("fuzz slack http")


@fuzz
@given(request=slack_bodies(), how=signing, retry=st.sampled_from([None, "1"]))
async def test_random_requests_never_crash_and_refusals_change_nothing(
        server: Server, adapter: SlackAdapter, recorder: Recorder, slack_api: FakeSlackApi,
        request: tuple[str, str], how: str, retry: str | None) -> None:
    body, content_type = request
    headers = headers_for(body, how)
    if retry:
        headers["X-Slack-Retry-Num"] = retry
    events_before = len(recorder.events)
    calls_before = len([c for c in slack_api.calls if c.method != "auth.test"])
    with ErrorLog("bot.adapters.slack") as errors, ErrorLog("aiohttp.server", "slack_bolt") as server_errors:
        status, text, _ = await server.post(body, content_type, headers)
        await adapter.drain()
    assert errors.records == [], [r.getMessage() for r in errors.records]
    TALLY[f"{status}"] += 1
    # a timestamp that is not a number, or a signed body whose JSON is not an object, once
    # made the SDKs raise before Deputy's code ran (aiohttp answered 500): never again
    assert status < 500, (status, text, [traceback.format_exception(*r.exc_info)[-3:]
                                         for r in server_errors.records if r.exc_info])
    if how != "valid":
        assert status == 401
    if status != 200:
        assert len(recorder.events) == events_before, "a refused request reached the core"
        assert len([c for c in slack_api.calls if c.method != "auth.test"]) == calls_before
