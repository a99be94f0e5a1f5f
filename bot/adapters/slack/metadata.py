"""Message metadata on Deputy's plan cards, and finding a card by it.

A card is posted with ``metadata`` (``event_type`` + ``event_payload``: which plan and
version it shows; never what people typed). Slack keeps it with the message, invisible to
people, and returns it from conversations.replies when asked with ``include_all_metadata``.
A redo after a crash between the post and its record (bot/flow/goal_redo.py) reads the
thread and adopts the card it finds instead of posting a second one.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

CARD_EVENT = "deputy_plan_card"  # letters, digits and underscores only: Slack ignores other event types
PAGE = 200  # messages a page (Slack recommends at most 200)
MAX_PAGES = 10  # a goal's thread longer than 2,000 messages is not read to its end


def card_metadata(plan_id: int, version: int) -> dict[str, Any]:
    return {"event_type": CARD_EVENT, "event_payload": {"plan": plan_id, "version": version}}


async def find_metadata(client: AsyncWebClient, channel: str, thread: str, wanted: dict[str, Any]) -> str | None:
    """The ts of the newest message of the thread ``thread`` that a bot posted with metadata
    ``wanted``; None if there is none (or the thread is not found). Raises SlackApiError."""
    found: str | None = None
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        # a read method: its arguments go in the query string (slack_sdk's GET), never JSON
        response = await client.conversations_replies(channel=channel, ts=thread, include_all_metadata=True,
                                                      limit=PAGE, cursor=cursor)
        for message in response.get("messages") or []:
            if isinstance(message, dict) and message.get("bot_id") and message.get("metadata") == wanted:
                found = str(message["ts"])
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not response.get("has_more") or not cursor:
            break
    return found
