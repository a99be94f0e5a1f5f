"""`connect X`: the core's ConnectForm → private button → modal → CredentialsSubmitted."""

from __future__ import annotations

import logging

import pytest

from bot.adapters.slack.app import SlackAdapter
from bot.chat.events import CredentialsSubmitted
from bot.chat.replies import ConnectForm, FormField
from bot.domain import Actor, Where
from tests.adapters.slack import wire
from tests.adapters.slack.conftest import Recorder, Server
from tests.fakes.slack_api import FakeSlackApi

SECRET_KEY = "pat-na1-0123456789abcdef"


async def test_credentials_travel_from_modal_to_core_and_nowhere_else(
    server: Server, adapter: SlackAdapter, recorder: Recorder, slack_api: FakeSlackApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    anna = Actor(platform="slack", team_id=wire.TEAM, user_id="U0ANNA")
    where = Where(platform="slack", channel_id=wire.CHANNEL, thread_id="1760000001.000001")
    form = ConnectForm(integration="crm", title="Connect HubSpot", fields=(
        FormField("token", "Private app token", description="Settings → Integrations → Private apps"),
        FormField("portal", "Portal id", secret=False, required=False),
    ))
    await adapter.port.post_private(where, anna, form)
    [ephemeral] = slack_api.of("chat.postEphemeral")
    assert ephemeral.params["user"] == "U0ANNA"
    [button] = [b for b in ephemeral.params["blocks"] if b["type"] == "actions"][0]["elements"]
    assert button["action_id"] == "deputy_connect:crm"

    click = wire.block_actions(
        button["action_id"], value=button["value"], user="U0ANNA", trigger=slack_api.trigger_id()
    )
    click["container"]["is_ephemeral"] = True
    del click["message"]  # Slack sends no message body for ephemeral messages
    body = wire.interactive(click)
    status, _, _ = await server.post(body, wire.FORM, wire.sign(body))
    assert status == 200
    [opened] = await slack_api.wait_for("views.open")
    assert opened.answer is not None and opened.answer["ok"], opened.answer  # Slack opened it
    view = opened.params["view"]
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert set(inputs) == {"field:token", "field:portal"}
    assert inputs["field:portal"]["optional"] is True

    view["blocks"] = [{**b, "element": {**b["element"], "initial_value": ""}} if b["type"] == "input" else b for b in view["blocks"]]
    submit = wire.interactive(wire.view_submission(view, {"field:token": SECRET_KEY}, user="U0ANNA"))
    status, text, _ = await server.post(submit, wire.FORM, wire.sign(submit))
    assert (status, text) == (200, "")
    [event] = await recorder.wait()
    assert isinstance(event, CredentialsSubmitted)
    assert (event.integration, event.fields) == ("crm", {"token": SECRET_KEY})
    assert event.where.thread_id == "1760000001.000001"
    assert SECRET_KEY not in repr(event) and SECRET_KEY not in caplog.text
    assert all(SECRET_KEY not in str(c.params) for c in slack_api.calls)


async def test_slash_connect_opens_the_form_at_once_with_its_trigger(
    server: Server, adapter: SlackAdapter, slack_api: FakeSlackApi,
) -> None:
    form = ConnectForm(integration="crm", title="Connect HubSpot", fields=(FormField("token", "Private app token"),))

    async def core(event: object) -> None:  # the core answers `connect crm` with its form
        from bot.chat.events import CommandInvoked

        assert isinstance(event, CommandInvoked) and (event.name, event.argument) == ("connect", "crm")
        await adapter.port.post_private(event.where, event.actor, form)

    adapter.dispatch = core  # type: ignore[assignment]
    trigger = slack_api.trigger_id()
    body = wire.slash_command("connect crm", trigger=trigger)
    status, _, _ = await server.post(body, wire.FORM, wire.sign(body))
    assert status == 200
    [opened] = await slack_api.wait_for("views.open")
    assert opened.params["trigger_id"] == trigger
    assert opened.answer is not None and opened.answer["ok"], opened.answer
    assert {b["block_id"] for b in opened.params["view"]["blocks"] if b["type"] == "input"} == {"field:token"}
    assert slack_api.of("chat.postEphemeral") == []  # no detour through a button
