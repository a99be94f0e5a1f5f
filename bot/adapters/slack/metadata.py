"""Message metadata on Deputy's plan cards, questions and "I can't" answers, and slash
commands' root messages, and finding them by it.

A card is posted with ``metadata`` (``event_type`` + ``event_payload``: which plan and
version it shows; never what people typed). Slack keeps it with the message, invisible to
people, and returns it from conversations.replies when asked with ``include_all_metadata``.
A redo after a crash between the post and its record (bot/flow/goal_redo.py) reads the
thread and adopts the card it finds instead of posting a second one. A slash command's root
message ("<@U…> asked: …") carries a key of the request (a hash of its trigger id, which
Slack makes unique per invocation), and a redo that has no note of it looks in the channel's
latest messages (conversations.history) before posting another.

Only Deputy's own messages count (their ``bot_id`` is the token's, from auth.test): another
app in the channel can post any metadata, and a card or root it forged must not be adopted
in place of the one Deputy would post.
"""

from __future__ import annotations

import hashlib
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

ROOT_EVENT = "deputy_request"
CARD_EVENT = "deputy_plan_card"  # letters, digits and underscores only: Slack ignores other event types
ANSWER_EVENT = "deputy_answer"  # a question or an "I can't": the stored thread message it says
PAGE = 200  # messages a page (Slack recommends at most 200)
MAX_PAGES = 10  # a goal's thread longer than 2,000 messages is not read to its end


def request_key(body: dict[str, Any]) -> str | None:
    """A slash command's key: its trigger id hashed (the id itself opens a view for 3 s)."""
    trigger = body.get("trigger_id")
    return hashlib.sha256(str(trigger).encode()).hexdigest()[:32] if trigger else None


def root_metadata(key: str) -> dict[str, Any]:
    return {"event_type": ROOT_EVENT, "event_payload": {"request": key}}


async def own_bot_id(client: AsyncWebClient) -> str | None:
    """The bot id of ``client``'s token (auth.test; read only by a redo, which is rare)."""
    bot_id = (await client.auth_test()).get("bot_id")
    return str(bot_id) if bot_id else None


def _is(message: Any, bot_id: str, wanted: dict[str, Any]) -> bool:
    return isinstance(message, dict) and message.get("bot_id") == bot_id and message.get("metadata") == wanted


async def find_in_channel(client: AsyncWebClient, channel: str, wanted: dict[str, Any]) -> str | None:
    """The ts of a message among the channel's latest ``PAGE`` that Deputy posted with metadata
    ``wanted`` (a root posted minutes ago, at most: the lease and the retries); None if none."""
    bot_id = await own_bot_id(client)
    if bot_id is None:  # cannot tell Deputy's messages from others': post again (at least once)
        return None
    response = await client.conversations_history(channel=channel, include_all_metadata=True, limit=PAGE)
    for message in response.get("messages") or []:
        if _is(message, bot_id, wanted):
            return str(message["ts"])
    return None


def card_metadata(plan_id: int, version: int) -> dict[str, Any]:
    return {"event_type": CARD_EVENT, "event_payload": {"plan": plan_id, "version": version}}


def answer_metadata(said: int) -> dict[str, Any]:
    return {"event_type": ANSWER_EVENT, "event_payload": {"said": said}}


async def find_metadata(client: AsyncWebClient, channel: str, thread: str, wanted: dict[str, Any]) -> str | None:
    """The ts of the newest message of the thread ``thread`` that Deputy posted with metadata
    ``wanted``; None if there is none (or the thread is not found). Raises SlackApiError."""
    bot_id = await own_bot_id(client)
    if bot_id is None:  # cannot tell Deputy's messages from others': post again (at least once)
        return None
    found: str | None = None
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        # a read method: its arguments go in the query string (slack_sdk's GET), never JSON
        response = await client.conversations_replies(channel=channel, ts=thread, include_all_metadata=True,
                                                      limit=PAGE, cursor=cursor)
        for message in response.get("messages") or []:
            if _is(message, bot_id, wanted):
                found = str(message["ts"])
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not response.get("has_more") or not cursor:
            break
    return found
