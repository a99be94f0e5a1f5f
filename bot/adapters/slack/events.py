"""Slack payloads → neutral chat events. Pure functions: no I/O, no business rule.

Payload shapes follow Slack's reference: slash commands arrive as form fields
(team_id, channel_id, user_id, text, trigger_id, response_url …), interactive requests as a
JSON ``payload`` (block_actions, view_submission), Events API callbacks as JSON with the
inner ``event`` and a delivery-wide ``event_id``.

Every event's ``Where`` names the team of the person who acted (``actor.team_key``): what is
said because of it (a private answer, a slash command's "asked:" line) goes out with that
workspace's token, also in a Slack Connect channel another installed workspace shares.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from bot.adapters.slack.connect import ACTION_PREFIX as CONNECT_PREFIX
from bot.adapters.slack.connect import read_connect
from bot.adapters.slack.modal import read_submission
from bot.adapters.slack.render import OFFER_PREFIX
from bot.chat.buttons import BadButton, parse_button
from bot.chat.command_syntax import parse_command as command_of
from bot.chat.events import (
    ButtonPressed,
    CommandInvoked,
    CredentialsSubmitted,
    GoalPosted,
    ModifySubmitted,
    ThreadReply,
)
from bot.domain import Actor, Where

PLATFORM = "slack"
# a bare word: the command alone; a word and one argument: the command with its argument.
# Anything longer is a goal, so "/deputy connect Anna with the CRM team" stays a goal.
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")

Payload = dict[str, Any]


def problem(body: Payload) -> str | None:
    """Why a request that passed the signature check still cannot be used, or None."""
    kind = body.get("type")
    if "command" in body and kind is None:
        missing = [f for f in ("team_id", "channel_id", "user_id", "command") if not body.get(f)]
        return f"slash command without {', '.join(missing)}" if missing else None
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "block_actions without actions"
        for action in actions:
            if not isinstance(action, dict):
                return "block_actions with a malformed action"
            action_id = str(action.get("action_id", ""))
            if action_id.startswith(CONNECT_PREFIX) and len(action_id) > len(CONNECT_PREFIX):
                continue
            if action_id.startswith(OFFER_PREFIX) and str(action.get("value", "")).strip():
                continue
            try:
                parse_button(action_id)
            except BadButton:
                return "unknown action id"
        if not _get(body, "user", "id") or not button_where(body):
            return "block_actions without user or channel"
        return None
    if kind == "view_submission":
        return None if _get(body, "user", "id") and isinstance(body.get("view"), dict) else "bad view"
    if kind == "event_callback":
        event = body.get("event")
        return None if isinstance(event, dict) and body.get("event_id") else "event without event_id"
    return None


def _get(body: Payload, *path: str) -> Any:
    node: Any = body
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def parse_command(text: str) -> tuple[str, str] | None:
    """A bare `/deputy` asks for help; otherwise the one rule in bot.chat.command_syntax."""
    return ("help", "") if not text.split() else command_of(text)


def command_event(body: Payload, actor: Actor) -> GoalPosted | CommandInvoked:
    where = Where(platform=PLATFORM, channel_id=str(body["channel_id"]), team=actor.team_key)
    text = str(body.get("text", "")).strip()
    event_id = f"slack:trigger:{body['trigger_id']}" if body.get("trigger_id") else None
    command = parse_command(text)
    if command is not None:
        return CommandInvoked(actor=actor, where=where, name=command[0], argument=command[1], event_id=event_id)
    return GoalPosted(actor=actor, where=where, text=text, event_id=event_id)


def strip_mentions(text: str) -> str:
    return " ".join(MENTION.sub(" ", text).split())


def in_thread(event: Payload) -> bool:
    thread = event.get("thread_ts")
    return bool(thread) and thread != event.get("ts")


def mention_event(body: Payload, actor: Actor, *, known_thread: bool) -> GoalPosted | ThreadReply:
    """A mention starts a goal, except inside a thread Deputy already answers in."""
    event = body["event"]
    channel = str(event["channel"])
    text = strip_mentions(str(event.get("text", "")))
    event_id = f"slack:{body['event_id']}"
    if in_thread(event) and known_thread:
        where = Where(platform=PLATFORM, channel_id=channel, thread_id=str(event["thread_ts"]), team=actor.team_key)
        return ThreadReply(actor=actor, where=where, text=text, event_id=event_id)
    thread = str(event["thread_ts"]) if in_thread(event) else None
    where = Where(platform=PLATFORM, channel_id=channel, thread_id=thread, team=actor.team_key)
    return GoalPosted(actor=actor, where=where, text=text, event_id=event_id, message_id=str(event["ts"]))


def is_person_thread_reply(event: Payload, bot_user_id: str | None) -> bool:
    """A person's message in a thread, not addressed with a mention (app_mention has those)."""
    if event.get("bot_id") or event.get("subtype") not in (None, "thread_broadcast"):
        return False
    if not event.get("user") or not in_thread(event):
        return False
    return not (bot_user_id and f"<@{bot_user_id}" in str(event.get("text", "")))


def reply_event(body: Payload, actor: Actor) -> ThreadReply:
    event = body["event"]
    where = Where(platform=PLATFORM, channel_id=str(event["channel"]), thread_id=str(event["thread_ts"]),
                  team=actor.team_key)
    return ThreadReply(
        actor=actor, where=where, text=strip_mentions(str(event.get("text", ""))),
        event_id=f"slack:{body['event_id']}",
    )


def button_where(body: Payload) -> Where | None:
    channel = _get(body, "channel", "id") or _get(body, "container", "channel_id")
    if not channel:
        return None
    thread = (
        _get(body, "message", "thread_ts")
        or _get(body, "container", "thread_ts")
        or _get(body, "message", "ts")
        or _get(body, "container", "message_ts")
    )
    return Where(platform=PLATFORM, channel_id=str(channel), thread_id=str(thread) if thread else None)


def button_event(body: Payload, action: Payload, actor: Actor) -> ButtonPressed:
    where = button_where(body)
    if where is None:
        raise ValueError("block_actions without a channel")
    event_id = f"slack:action:{action.get('action_ts') or body.get('trigger_id')}:{actor.user_id}"
    message = _get(body, "container", "message_ts") or _get(body, "message", "ts")
    return ButtonPressed(actor=actor, where=where.model_copy(update={"team": actor.team_key}), button_id=str(action["action_id"]), event_id=event_id,
                         message_id=str(message) if message else None)


def offer_event(body: Payload, action: Payload, actor: Actor) -> GoalPosted:
    """A digest's "Plan: …" button: its value is the follow-up goal, asked in that channel."""
    where = button_where(body)
    if where is None:
        raise ValueError("block_actions without a channel")
    event_id = f"slack:action:{action.get('action_ts') or body.get('trigger_id')}:{actor.user_id}"
    return GoalPosted(actor=actor, where=Where(platform=PLATFORM, channel_id=where.channel_id, team=actor.team_key),
                      text=str(action.get("value", ""))[:4000], event_id=event_id)


def modify_event(body: Payload, actor: Actor) -> ModifySubmitted:
    view = body["view"]
    target, edits = read_submission(view)
    where = Where(platform=PLATFORM, channel_id=target.channel_id, thread_id=target.thread_id, team=actor.team_key)
    return ModifySubmitted(
        actor=actor, where=where, plan_id=target.plan_id, version=target.version,
        edits=edits, event_id=f"slack:view:{view.get('id')}:{view.get('hash')}",
    )


def credentials_event(body: Payload, actor: Actor) -> CredentialsSubmitted:
    view = body["view"]
    integration, channel, thread, typed = read_connect(view)
    return CredentialsSubmitted(
        actor=actor, where=Where(platform=PLATFORM, channel_id=channel, thread_id=thread, team=actor.team_key),
        integration=integration, fields=typed, event_id=f"slack:view:{view.get('id')}:{view.get('hash')}",
    )


def team_of(body: Payload) -> str:
    """The workspace of the person who acted.

    In a Slack Connect channel, people of other workspaces click and write too: the request
    is signed for the workspace Deputy is installed in, but ``user.team_id`` (interactions)
    and ``event.user_team`` (events) name the person's own workspace, which is what the core
    compares with the goal's team. An Enterprise org id (``E…``) in ``user.team_id`` is not a
    workspace; the interaction's ``team`` then names it.
    """
    user_team = _get(body, "user", "team_id")
    if user_team and not str(user_team).startswith("E"):
        return str(user_team)
    return str(
        _get(body, "event", "user_team")
        or _get(body, "event", "team")
        or body.get("team_id")
        or _get(body, "team", "id")
        or user_team
        or ""
    )


class RecentIds:
    """Event ids already accepted, so an Events API retry is acknowledged and dropped."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        if event_id in self._seen:
            return False
        self._seen[event_id] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True

    def forget(self, event_id: str) -> None:
        """Not taken after all (its inbox row did not commit): Slack's retry is let through."""
        self._seen.pop(event_id, None)
