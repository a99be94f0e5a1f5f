"""The fake Slack Web API refuses what Slack refuses: each rule is shown with slack_sdk's client
sending the bad call and raising SlackApiError with Slack's own error code (HTTP 200)."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from tests.adapters.slack.conftest import refused
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlackApi


async def test_a_missing_or_wrong_token_is_refused(slack_api: FakeSlackApi) -> None:
    anonymous = AsyncWebClient(token=None, base_url=slack_api.base_url)
    assert (await refused(anonymous.auth_test()))["error"] == "not_authed"
    stranger = AsyncWebClient(token="xoxb-9999-not-ours", base_url=slack_api.base_url)
    assert (await refused(stranger.chat_postMessage(channel="C1", text="hi")))["error"] == (
        "invalid_auth"
    )
    # Socket Mode needs the app-level token, and the app-level token posts nothing
    bot = AsyncWebClient(token=BOT_TOKEN, base_url=slack_api.base_url)
    assert (await refused(bot.apps_connections_open(app_token=BOT_TOKEN)))["error"] == (
        "not_allowed_token_type"
    )
    app = AsyncWebClient(token=APP_TOKEN, base_url=slack_api.base_url)
    assert (await refused(app.chat_postMessage(channel="C1", text="hi")))["error"] == (
        "not_allowed_token_type"
    )
    assert slack_api.messages == {}


async def test_required_arguments_are_checked(web: AsyncWebClient, slack_api: FakeSlackApi) -> None:
    no_channel = await refused(web.api_call("chat.postMessage", json={"text": "hi"}))
    assert no_channel["error"] == "invalid_arguments"
    assert no_channel["response_metadata"]["messages"] == [
        "[ERROR] missing required field: channel"
    ]
    no_text = await refused(web.api_call("chat.postMessage", json={"channel": "C1"}))
    assert no_text["error"] == "no_text"
    assert (await refused(web.api_call("users.info", params={})))["error"] == "invalid_arguments"
    assert slack_api.messages == {}


def _button(**changes: Any) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": "a",
        "text": {"type": "plain_text", "text": "Go"},
        "value": "v",
        **changes,
    }


def _actions(*elements: dict[str, Any], block_id: str = "b") -> dict[str, Any]:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    ("blocks", "problem"),
    [
        ([_section("x")] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
        ([_section("x" * 3001)], "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"),
        ([_section("")], "must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
        (
            [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
        ),
        (
            [_actions(_button(value="v" * 2001))],
            "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
        ),
        (
            [_actions(_button(action_id="a" * 256))],
            "must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]",
        ),
        (
            [_actions(_button(), block_id="b" * 256)],
            "must be less than 256 characters [json-pointer:/blocks/0/block_id]",
        ),
        (
            [_actions(_button(text={"type": "plain_text", "text": "t" * 76}))],
            "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
        ),
        (
            [_actions(_button(text={"type": "mrkdwn", "text": "*Go*"}))],
            "must be one of plain_text [json-pointer:/blocks/0/elements/0/text/type]",
        ),
        ([_actions(_button(), _button())], "duplicate action_id: a [json-pointer:/blocks/0/elements/1]"),
        ([_actions(_button()), _actions(_button())], "duplicate block_id: b [json-pointer:/blocks/1/block_id]"),
    ],
)
async def test_block_kit_limits_are_enforced(
    web: AsyncWebClient, slack_api: FakeSlackApi, blocks: list[dict[str, Any]], problem: str
) -> None:
    answer = await refused(web.chat_postMessage(channel="C1", text="fallback", blocks=blocks))
    assert answer["error"] == "invalid_blocks"
    assert answer["response_metadata"]["messages"] == [f"[ERROR] {problem}"]
    assert slack_api.messages == {}


MODAL = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Connect"},
    "blocks": [_section("Hello")],
}


async def test_a_trigger_opens_one_view_within_three_seconds(
    web: AsyncWebClient, slack_api: FakeSlackApi
) -> None:
    trigger = slack_api.trigger_id()
    opened = await web.views_open(trigger_id=trigger, view=MODAL)
    assert opened["ok"] and opened["view"]["id"]
    again = await refused(web.views_open(trigger_id=trigger, view=MODAL))
    assert again["error"] == "exchanged_trigger_id"
    late = await refused(web.views_open(trigger_id=slack_api.trigger_id(age=3.5), view=MODAL))
    assert late["error"] == "expired_trigger_id"
    made_up = await refused(web.views_open(trigger_id="123.456.abc", view=MODAL))
    assert made_up["error"] == "invalid_trigger_id"
    # the view itself is checked: a title over 24 characters is refused
    long_title = {**MODAL, "title": {"type": "plain_text", "text": "t" * 25}}
    bad = await refused(web.views_open(trigger_id=slack_api.trigger_id(), view=long_title))
    assert bad["error"] == "invalid_arguments"
    assert bad["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
    ]


async def test_chat_update_needs_a_message_the_app_posted(
    web: AsyncWebClient, slack_api: FakeSlackApi
) -> None:
    missing = await refused(web.chat_update(channel="C1", ts="1760000000.000001", text="edit"))
    assert missing["error"] == "message_not_found"
    posted = await web.chat_postMessage(channel="C1", text="first")
    updated = await web.chat_update(channel="C1", ts=posted["ts"], text="second")
    assert updated["ok"]
    assert slack_api.messages[("C1", posted["ts"])]["text"] == "second"
    # the same ts in another channel is another (unknown) message
    elsewhere = await refused(web.chat_update(channel="C2", ts=posted["ts"], text="x"))
    assert elsewhere["error"] == "message_not_found"
