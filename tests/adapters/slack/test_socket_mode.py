"""Socket Mode against a local WebSocket server speaking Slack's envelope format."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

import pytest

from bot.adapters.slack.app import SlackAdapter
from bot.adapters.slack.socket_mode import socket_mode_handler
from bot.chat.events import ButtonPressed, CommandInvoked, GoalPosted
from bot.errors import SettingsError
from tests.adapters.slack import wire
from tests.adapters.slack.conftest import Recorder, slack_settings
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_socket import FakeSocketMode


@pytest.fixture
async def socket_server(slack_api: FakeSlackApi) -> AsyncIterator[FakeSocketMode]:
    fake = await FakeSocketMode().start()
    slack_api.socket_url = fake.url
    yield fake
    await fake.stop()


@pytest.fixture
async def connected(
    slack_api: FakeSlackApi, socket_server: FakeSocketMode, recorder: Recorder
) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(slack_settings(slack_api, app_token="xapp-1-test", signing_secret=""), recorder)
    handler = socket_mode_handler(adapter)
    await handler.connect_async()
    await asyncio.wait_for(socket_server.connected.wait(), 3)
    yield adapter
    await handler.close_async()
    await adapter.aclose(grace=0.5)


async def test_events_are_acked_by_envelope_id_and_dispatched_once(
    connected: SlackAdapter, socket_server: FakeSocketMode, recorder: Recorder, slack_api: FakeSlackApi
) -> None:
    recorder.delay = 5.0  # a slow core must not hold the ack
    [opened] = slack_api.of("apps.connections.open")
    payload = json.loads(wire.event_callback(wire.mention("<@UDEPUTY> send the digest"), event_id="EvSock1"))
    envelope = await socket_server.push("events_api", payload)
    ack = await socket_server.ack_of(envelope, within=1.0)
    assert ack["envelope_id"] == envelope
    [event] = await recorder.wait()
    assert isinstance(event, GoalPosted) and event.text == "send the digest"
    assert event.event_id == "slack:EvSock1"

    again = await socket_server.push("events_api", payload, retry_attempt=1)
    await socket_server.ack_of(again, within=1.0)
    # the ack leaves after the listener returned, so a dispatch of the retry would already be
    # scheduled: let the slow core finish and wait for everything the adapter accepted
    recorder.released.set()
    await connected.drain()
    assert len(recorder.events) == 1


async def test_slash_commands_and_buttons_over_the_socket(
    connected: SlackAdapter, socket_server: FakeSocketMode, recorder: Recorder
) -> None:
    command = dict(parse_qsl(wire.slash_command("status")))
    envelope = await socket_server.push("slash_commands", command, accepts_response_payload=True)
    await socket_server.ack_of(envelope)
    button = await socket_server.push("interactive", wire.block_actions("deputy:7:1:reject"))
    await socket_server.ack_of(button)
    events = await recorder.wait(2)
    assert {type(e) for e in events} == {CommandInvoked, ButtonPressed}


async def test_socket_mode_needs_an_app_token(slack_api: FakeSlackApi, recorder: Recorder) -> None:
    adapter = SlackAdapter(slack_settings(slack_api), recorder)
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
        socket_mode_handler(adapter)
