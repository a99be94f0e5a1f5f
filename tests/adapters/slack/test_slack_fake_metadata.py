"""The fake Slack keeps message metadata and reads threads as Slack does: chat.postMessage's
``metadata`` (refused when unreadable, dropped with a warning when its event_type breaks
Slack's rule), conversations.replies (a read method: its arguments in the query string, a
JSON body is not read) returning a message's metadata only with ``include_all_metadata``."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from tests.adapters.slack.conftest import refused
from tests.fakes.slack_api import FakeSlackApi

CARD = {"event_type": "deputy_plan_card", "event_payload": {"plan": 1, "version": 2}}


async def test_a_thread_is_read_back_with_its_metadata_only_when_asked(web: AsyncWebClient) -> None:
    root = await web.chat_postMessage(channel="C1", text="asked")
    card = await web.chat_postMessage(channel="C1", text="card", thread_ts=root["ts"], metadata=CARD)
    assert "warning" not in card.data
    plain = await web.conversations_replies(channel="C1", ts=root["ts"])
    assert [m["ts"] for m in plain["messages"]] == [root["ts"], card["ts"]]
    assert all("metadata" not in m for m in plain["messages"])
    read = await web.conversations_replies(channel="C1", ts=root["ts"], include_all_metadata=True)
    assert read["messages"][1]["metadata"] == CARD and "metadata" not in read["messages"][0]
    paged = await web.conversations_replies(channel="C1", ts=root["ts"], limit=1)
    assert paged["has_more"] is True and len(paged["messages"]) == 1
    rest = await web.conversations_replies(channel="C1", ts=root["ts"], limit=1,
                                           cursor=paged["response_metadata"]["next_cursor"])
    assert [m["ts"] for m in rest["messages"]] == [card["ts"]] and rest["has_more"] is False


async def test_unreadable_metadata_is_refused_and_a_bad_event_type_dropped(web: AsyncWebClient,
                                                                          slack_api: FakeSlackApi) -> None:
    answer = await refused(web.api_call("chat.postMessage", json={
        "channel": "C1", "text": "x", "metadata": {"event_type": "deputy_plan_card"}}))
    assert answer["error"] == "invalid_metadata_format"
    answer = await refused(web.api_call("chat.postMessage", data={"channel": "C1", "text": "x", "metadata": "{"}))
    assert answer["error"] == "invalid_metadata_format"
    assert slack_api.messages == {}
    dotted = await web.chat_postMessage(channel="C1", text="x", metadata={**CARD, "event_type": "deputy.card"})
    assert dotted["warning"] == "invalid_metadata_schema"
    read = await web.conversations_replies(channel="C1", ts=dotted["ts"], include_all_metadata=True)
    assert "metadata" not in read["messages"][0]


async def test_replies_are_read_from_the_query_only_and_need_a_known_thread(web: AsyncWebClient) -> None:
    root = await web.chat_postMessage(channel="C1", text="asked")
    as_json = await refused(web.api_call("conversations.replies", json={"channel": "C1", "ts": root["ts"]}))
    assert as_json["error"] == "invalid_arguments"
    unknown = await refused(web.conversations_replies(channel="C1", ts="1700000000.000001"))
    assert unknown["error"] == "thread_not_found"


async def test_a_channels_history_is_newest_first_without_thread_replies(web: AsyncWebClient) -> None:
    root = await web.chat_postMessage(channel="C1", text="asked", metadata=CARD)
    await web.chat_postMessage(channel="C1", text="in the thread", thread_ts=root["ts"])
    later = await web.chat_postMessage(channel="C1", text="later")
    plain = await web.conversations_history(channel="C1")
    assert [m["ts"] for m in plain["messages"]] == [later["ts"], root["ts"]]
    assert all("metadata" not in m for m in plain["messages"])
    read = await web.conversations_history(channel="C1", include_all_metadata=True, limit=1, cursor="1")
    assert [m.get("metadata") for m in read["messages"]] == [CARD]
    as_json = await refused(web.api_call("conversations.history", json={"channel": "C1"}))
    assert as_json["error"] == "invalid_arguments"
