"""Each Slack entry point, over real HTTP with signed requests → the right neutral event."""

from __future__ import annotations

import json

from bot.adapters.slack.app import SlackAdapter
from bot.chat.events import ButtonPressed, CommandInvoked, GoalPosted, ModifySubmitted, ThreadReply
from tests.adapters.slack import wire
from tests.adapters.slack.conftest import Recorder, Server
from tests.fakes.slack_api import FakeSlackApi


async def test_slash_command_goal_starts_a_visible_thread_and_dispatches(
    server: Server, recorder: Recorder, slack_api: FakeSlackApi
) -> None:
    body = wire.slash_command("invoice every client for March", response_url=slack_api.response_url)
    status, text, _ = await server.post(body, wire.FORM, wire.sign(body))
    assert (status, text) == (200, "")
    [event] = await recorder.wait()
    assert isinstance(event, GoalPosted)
    assert event.text == "invoice every client for March"
    assert event.where.channel_id == wire.CHANNEL
    assert event.event_id == "slack:trigger:13345224609.738474920.8088930838d88f008e0"
    [root] = slack_api.of("chat.postMessage")
    assert root.params["channel"] == wire.CHANNEL
    assert root.params["text"] == "<@U0ANNA> asked: invoice every client for March"
    assert event.message_id is not None and event.message_id.startswith("17600")
    assert (event.actor.platform, event.actor.team_id, event.actor.user_id) == ("slack", "T0001", "U0ANNA")
    assert (event.actor.display_name, event.actor.timezone) == ("anna.b", "Europe/Stockholm")


async def test_slash_management_commands(server: Server, recorder: Recorder, slack_api: FakeSlackApi) -> None:
    cases = [
        ("help", ("help", "")), ("", ("help", "")), ("status", ("status", "")),
        ("cancel 42", ("cancel", "42")), ("connect crm", ("connect", "crm")),
        ("connections", ("connections", "")),
    ]
    for n, (text, _) in enumerate(cases):
        body = wire.slash_command(text, trigger=f"trigger-{n}")
        status, _, _ = await server.post(body, wire.FORM, wire.sign(body))
        assert status == 200
    events = await recorder.wait(len(cases))
    assert all(isinstance(e, CommandInvoked) for e in events)
    got = sorted((e.name, e.argument) for e in events if isinstance(e, CommandInvoked))
    assert got == sorted(expected for _, expected in cases)
    # management commands start no visible thread; users.info was asked once for Anna
    assert slack_api.of("chat.postMessage") == []
    assert len(slack_api.of("users.info")) == 1


async def test_a_long_sentence_starting_with_a_command_word_is_a_goal(server: Server, recorder: Recorder) -> None:
    body = wire.slash_command("connect Anna with the CRM team lead")
    await server.post(body, wire.FORM, wire.sign(body))
    [event] = await recorder.wait()
    assert isinstance(event, GoalPosted)


async def test_slash_command_where_deputy_is_not_a_member_says_so_privately(
    server: Server, recorder: Recorder, slack_api: FakeSlackApi, adapter: SlackAdapter
) -> None:
    slack_api.fail("chat.postMessage", "not_in_channel")
    body = wire.slash_command("book a room", response_url=slack_api.response_url)
    await server.post(body, wire.FORM, wire.sign(body))
    [answer] = await slack_api.wait_for("response_url")
    assert "/invite @Deputy" in answer.params["text"]
    await adapter.drain()
    assert recorder.events == []


async def test_app_mention_is_a_goal_threaded_under_the_mention(server: Server, recorder: Recorder) -> None:
    body = wire.event_callback(wire.mention("<@UDEPUTY> chase overdue invoices", ts="1760000100.000100"))
    status, _, _ = await server.post(body, wire.JSON, wire.sign(body))
    assert status == 200
    [event] = await recorder.wait()
    assert isinstance(event, GoalPosted)
    assert event.text == "chase overdue invoices"
    assert event.message_id == "1760000100.000100"
    assert event.where.thread_id is None
    assert event.event_id == "slack:Ev0PV52K21"


async def test_thread_messages_become_replies_and_noise_is_ignored(
    server: Server, recorder: Recorder, adapter: SlackAdapter
) -> None:
    ignored = [
        wire.message("top-level chatter"),
        wire.message("a bot speaks", thread_ts="1760000001.000001", bot_id="B0OTHER", subtype="bot_message"),
        wire.message("edited", thread_ts="1760000001.000001", subtype="message_changed"),
        # a mention in a thread arrives as app_mention too; the message copy is dropped
        wire.message("<@UDEPUTY> hello", thread_ts="1760000001.000001"),
    ]
    for n, noise in enumerate(ignored):
        body = wire.event_callback(noise, event_id=f"EvIgnored{n}")
        status, _, _ = await server.post(body, wire.JSON, wire.sign(body))
        assert status == 200
    reply = wire.message("make it Thursday instead", thread_ts="1760000001.000001", ts="1760000500.000500")
    body = wire.event_callback(reply, event_id="EvReply")
    await server.post(body, wire.JSON, wire.sign(body))
    await adapter.drain()
    [event] = await recorder.wait()
    assert isinstance(event, ThreadReply)
    assert event.text == "make it Thursday instead"
    assert event.where.thread_id == "1760000001.000001"


async def test_mention_in_a_thread_deputy_answers_in_is_a_reply(
    server: Server, recorder: Recorder, adapter: SlackAdapter
) -> None:
    adapter.port.threads.add(wire.CHANNEL, "1760000001.000001")
    body = wire.event_callback(wire.mention("<@UDEPUTY> make it Friday", thread_ts="1760000001.000001"))
    await server.post(body, wire.JSON, wire.sign(body))
    [event] = await recorder.wait()
    assert isinstance(event, ThreadReply)
    assert event.text == "make it Friday"


async def test_approve_button(server: Server, recorder: Recorder) -> None:
    body = wire.interactive(wire.block_actions("deputy:7:2:approve"))
    status, _, _ = await server.post(body, wire.FORM, wire.sign(body))
    assert status == 200
    [event] = await recorder.wait()
    assert isinstance(event, ButtonPressed)
    assert event.button_id == "deputy:7:2:approve"
    assert event.where.thread_id == "1760000001.000001"
    assert event.actor.user_id == "U0BOSS" and event.actor.display_name == "Bo Ss"


async def test_modify_opens_a_modal_and_submission_carries_only_changes(
    server: Server, recorder: Recorder, slack_api: FakeSlackApi, adapter: SlackAdapter
) -> None:
    value = json.dumps({"e": [[1, "title", "Sync"], [1, "start", "2026-12-03 10:00"], [2, "to", "a@b.c"]]})
    trigger = slack_api.trigger_id()
    body = wire.interactive(wire.block_actions("deputy:7:2:modify", value=value, trigger=trigger))
    status, _, _ = await server.post(body, wire.FORM, wire.sign(body))
    assert status == 200
    [opened] = await slack_api.wait_for("views.open")
    assert opened.answer is not None and opened.answer["ok"], opened.answer
    view = opened.params["view"]
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [(b["block_id"], b["element"]["initial_value"]) for b in inputs] == [
        ("arg:1:title", "Sync"), ("arg:1:start", "2026-12-03 10:00"), ("arg:2:to", "a@b.c"),
    ]
    await adapter.drain()
    assert recorder.events == []  # the click itself changes nothing

    unchanged = wire.interactive(wire.view_submission(view, {}))
    status, text, _ = await server.post(unchanged, wire.FORM, wire.sign(unchanged))
    assert status == 200 and json.loads(text)["response_action"] == "errors"

    edited = wire.interactive(wire.view_submission(view, {"arg:1:start": "2026-12-04 10:00"}))
    status, text, _ = await server.post(edited, wire.FORM, wire.sign(edited))
    assert (status, text) == (200, "")
    [event] = await recorder.wait()
    assert isinstance(event, ModifySubmitted)
    assert (event.plan_id, event.version) == (7, 2)
    assert [(e.step, e.key, e.value) for e in event.edits] == [(1, "start", "2026-12-04 10:00")]
    assert event.where.thread_id == "1760000001.000001"


async def test_url_verification_echoes_the_challenge(server: Server, recorder: Recorder) -> None:
    body = json.dumps({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"})
    status, text, _ = await server.post(body, wire.JSON, wire.sign(body))
    assert status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in text
    assert recorder.events == []


async def test_healthz(server: Server) -> None:
    async with server.session.get(server.url + "/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"ok": True}


async def test_a_digest_offer_button_asks_its_follow_up_goal_in_the_channel(
        server: Server, recorder: Recorder) -> None:
    body = wire.interactive(wire.block_actions("deputy-offer:3", value="chase overdue invoices"))
    status, _, _ = await server.post(body, wire.FORM, wire.sign(body))
    assert status == 200
    [event] = await recorder.wait()
    assert isinstance(event, GoalPosted)
    assert event.text == "chase overdue invoices" and event.where.thread_id is None
    assert event.actor.user_id == "U0BOSS"


async def test_a_goal_that_says_payload_is_a_goal(server: Server, recorder: Recorder) -> None:
    # slack-bolt's own form parser looks for the word "payload" anywhere in the raw body and,
    # when it is not a field, reads the whole request as empty: the goal was dropped
    goal = "check the payload of last night's webhook and email me a summary"
    body = wire.slash_command(goal)
    status, _, _ = await server.post(body, wire.FORM, wire.sign(body))
    assert status == 200
    [event] = await recorder.wait()
    assert isinstance(event, GoalPosted)
    assert event.text == goal
