"""SlackPort: the core's ChatPort on Slack's Web API (chat.postMessage, chat.update, …).

The Web API client retries 429 answers after their Retry-After (see :func:`make_client`);
on top of that, posts to one channel are paced (:class:`ChannelLimiter`) because Slack
allows about one message per second per channel, with short bursts above that.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.connect import BadConnectForm, connect_modal, form_value
from bot.adapters.slack.files import upload
from bot.adapters.slack.limits import ChannelLimiter, ThreadBook
from bot.adapters.slack.metadata import (
    answer_metadata,
    card_metadata,
    find_in_channel,
    find_metadata,
    root_metadata,
)
from bot.adapters.slack.render import escape, render, section
from bot.adapters.slack.resend import CONNECTION_ERRORS, POST, ResendExceptPosts
from bot.adapters.slack.settings import SlackSettings
from bot.chat.port import MessageRef
from bot.chat.replies import ConnectForm, PlanCard, Reply
from bot.domain import Actor, Where
from bot.errors import DeputyError

log = logging.getLogger(__name__)
# a slash command's trigger_id opens a view only for this long (Slack's limit is 3 s)
TRIGGER_SECONDS = 2.5

PLATFORM = "slack"


class ChatPostFailed(DeputyError):
    """Slack refused a message; the text names Slack's error code, never a token."""

    def __init__(self, method: str, code: str) -> None:
        super().__init__(f"Slack {method} failed: {code}")
        self.code = code


def error_code(err: SlackApiError) -> str:
    """Slack's error code (``not_in_channel`` …), or the HTTP status when the body had none."""
    data = err.response.data
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"http_{err.response.status_code}"


def make_client(settings: SlackSettings, session: aiohttp.ClientSession | None = None, *,
                token: str | None = None) -> AsyncWebClient:
    """The Web API client. Pass a shared ``session``: without one slack_sdk opens a new
    connection pool per call, which costs more than the call itself under load."""
    return AsyncWebClient(
        token=token or settings.bot_token.get_secret_value() or None,
        base_url=settings.base_url,
        session=session,
        retry_handlers=[
            ResendExceptPosts(),  # a post is looked for before it is sent again (_call)
            AsyncRateLimitErrorRetryHandler(max_retry_count=settings.rate_limit_retries),
        ],
    )


class Clients(Protocol):
    """The client with the token of a channel's or a team's workspace (bot/adapters/slack/workspaces.py)."""

    async def client_for_channel(self, channel_id: str, team_key: str | None = None) -> AsyncWebClient: ...

    async def client_for_team(self, team_id: str, enterprise_id: str | None = None) -> AsyncWebClient: ...


class SlackPort:
    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, limiter: ChannelLimiter, threads: ThreadBook,
                 clients: Clients | None = None) -> None:
        self._triggers: dict[str, tuple[str, float]] = {}
        self.client = client
        # None: one workspace, ``client`` everywhere; else a client per workspace
        self.clients = clients
        self.limiter = limiter
        self.threads = threads

    async def open_thread(self, where: Where, title: str, message_id: str | None) -> Where:
        if message_id is not None:
            thread = where.thread_id or message_id
        else:
            thread = await self.post_root(where.channel_id, escape(title), team=where.team)
        self.threads.add(where.channel_id, thread)
        return Where(platform=PLATFORM, channel_id=where.channel_id, thread_id=thread, team=where.team)

    async def post_root(self, channel: str, mrkdwn: str, *, team: str | None = None, key: str | None = None) -> str:
        """Start a visible message in the channel (e.g. "<@U1> asked: …"); return its ts.
        ``key``: the request's, kept as metadata so a redo can find it (:meth:`find_root`)."""
        extra: dict[str, Any] = {"metadata": root_metadata(key)} if key else {}

        async def posted() -> str | None:
            return await self.find_root(channel, key, team=team) if key else None

        data = await self._call(
            "chat.postMessage", channel, channel=channel, text=mrkdwn, blocks=[section(mrkdwn)],
            unfurl_links=False, unfurl_media=False, _for=team, _posted=posted, **extra,
        )
        return str(data["ts"])

    async def find_root(self, channel: str, key: str, *, team: str | None = None) -> str | None:
        """The ts of the root message :meth:`post_root` posted with ``key``, if Slack has it."""
        try:
            return await find_in_channel(await self._client(channel, team_key=team), channel, root_metadata(key))
        except SlackApiError as err:
            raise ChatPostFailed("conversations.history", error_code(err)) from None

    async def post(self, where: Where, reply: Reply) -> MessageRef:
        # a card is marked so a redo can find it in the thread (find_card)
        marked = card_metadata(reply.plan_id, reply.version) if isinstance(reply, PlanCard) else None
        return await self._post(where, reply, marked)

    async def post_answer(self, where: Where, reply: Reply, said: int) -> MessageRef:
        return await self._post(where, reply, answer_metadata(said))

    async def _post(self, where: Where, reply: Reply, metadata: dict[str, Any] | None) -> MessageRef:
        text, blocks = render(reply)
        extra: dict[str, Any] = {"thread_ts": where.thread_id} if where.thread_id else {}
        if metadata is not None:
            extra["metadata"] = metadata

        async def posted() -> str | None:
            found = await self._find_marked(where, metadata) if metadata is not None else None
            return found.message_id if found is not None else None

        data = await self._call(
            "chat.postMessage", where.channel_id, channel=where.channel_id, text=text,
            blocks=blocks, unfurl_links=False, unfurl_media=False, _for=where.team, _posted=posted, **extra,
        )
        if where.thread_id:
            self.threads.add(where.channel_id, where.thread_id)
        files = getattr(reply, "files", ())  # a card's or result's screenshots
        if files:
            await self.limiter.wait(where.channel_id)
            await upload(await self._client(where.channel_id, team_key=where.team), where.channel_id, where.thread_id or str(data["ts"]), files)
        return MessageRef(
            platform=PLATFORM, channel_id=str(data.get("channel") or where.channel_id),
            message_id=str(data["ts"]), thread_id=where.thread_id, team=where.team,
        )

    async def find_card(self, where: Where, plan_id: int, version: int) -> MessageRef | None:
        """The card of ``plan_id`` v``version`` Deputy posted in the thread ``where``, found by
        the metadata :meth:`post` attached (conversations.replies); None if there is none."""
        return await self._find_marked(where, card_metadata(plan_id, version))

    async def find_answer(self, where: Where, said: int) -> MessageRef | None:
        """The question or "I can't" :meth:`post_answer` posted for thread message ``said``."""
        return await self._find_marked(where, answer_metadata(said))

    async def _find_marked(self, where: Where, wanted: dict[str, Any]) -> MessageRef | None:
        if not where.thread_id:
            return None
        client = await self._client(where.channel_id, team_key=where.team)
        try:
            ts = await find_metadata(client, where.channel_id, where.thread_id, wanted)
        except SlackApiError as err:
            if error_code(err) == "thread_not_found":
                return None
            raise ChatPostFailed("conversations.replies", error_code(err)) from None
        if ts is None:
            return None
        return MessageRef(platform=PLATFORM, channel_id=where.channel_id, message_id=ts,
                          thread_id=where.thread_id, team=where.team)

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        text, blocks = render(reply)
        await self._call("chat.update", None, channel=ref.channel_id, ts=ref.message_id, text=text, blocks=blocks,
                         _for=ref.team)

    def remember_trigger(self, user_id: str, trigger_id: str) -> None:
        """A `/deputy connect X` just arrived: its trigger can open the form as a modal at once
        (Slack lets a trigger open a view for 3 seconds)."""
        self._triggers[user_id] = (trigger_id, time.monotonic())

    async def post_private(self, where: Where, actor: Actor, reply: Reply) -> None:
        if isinstance(reply, ConnectForm) and await self._open_connect_modal(where, actor, reply):
            return
        text, blocks = render(reply)
        extra: dict[str, Any] = {"thread_ts": where.thread_id} if where.thread_id else {}
        await self._call(
            "chat.postEphemeral", None, channel=where.channel_id, user=actor.user_id,
            text=text, blocks=blocks, _for=where.team, **extra,
        )

    async def tell(self, channel: str, user_id: str, text: str, thread: str | None = None, *,
                   team: str | None = None) -> None:
        """A plain ephemeral line to one person (before the core knows who they are), with the
        token of ``team``'s workspace (their own, in a Slack Connect channel)."""
        extra: dict[str, Any] = {"thread_ts": thread} if thread else {}
        await self._call("chat.postEphemeral", None, channel=channel, user=user_id, text=text, _for=team, **extra)

    async def _open_connect_modal(self, where: Where, actor: Actor, form: ConnectForm) -> bool:
        trigger, at = self._triggers.pop(actor.user_id, ("", 0.0))
        if not trigger or time.monotonic() - at > TRIGGER_SECONDS:
            return False
        try:
            await self.open_modal(trigger, connect_modal(form_value(form), where.channel_id, where.thread_id),
                                  channel=where.channel_id)
        except (ChatPostFailed, BadConnectForm) as err:
            log.info("could not open the connect form directly (%s); offering a button", err)
            return False
        return True

    async def open_modal(self, trigger_id: str, view: dict[str, Any], *, channel: str | None = None,
                         team: tuple[str, str | None] | None = None) -> None:
        """Open a view; in a distributed app, with the token of ``team`` (or of ``channel``'s)."""
        await self._call("views.open", None, trigger_id=trigger_id, view=view, _team=team, _channel=channel)

    async def _client(self, channel: str | None, team: tuple[str, str | None] | None = None, *,
                      team_key: str | None = None) -> AsyncWebClient:
        """The client to speak in ``channel``: a workspace's (``team``), else the one of the
        Deputy team the message is for (``team_key``: in a Slack Connect channel each
        workspace's own token), else the channel's."""
        if self.clients is None:
            return self.client
        if team is not None:
            return await self.clients.client_for_team(*team)
        return await self.clients.client_for_channel(channel or "", team_key)

    async def _call(self, method: str, limit_channel: str | None, *,
                    _team: tuple[str, str | None] | None = None, _channel: str | None = None,
                    _for: str | None = None, _posted: Callable[[], Awaitable[str | None]] | None = None,
                    **params: Any) -> dict[str, Any]:
        """``_posted``: for a post, the ts of the message if Slack already has it (found by its
        metadata), asked when the connection failed before Slack's answer came."""
        if limit_channel is not None:
            await self.limiter.wait(limit_channel)
        client = await self._client(params.get("channel") or _channel, _team, team_key=_for)
        try:
            try:
                response = await client.api_call(method, json=params)
            except CONNECTION_ERRORS as err:
                if method != POST:
                    raise  # the client has already sent it again once (bot/adapters/slack/resend.py)
                found = await _posted() if _posted is not None else None
                if found is not None:
                    log.info("Slack took a post whose answer was lost (%s); not posting it again", type(err).__name__)
                    return {"ok": True, "channel": params.get("channel"), "ts": found}
                response = await client.api_call(method, json=params)  # it never arrived: once more
        except SlackApiError as err:
            raise ChatPostFailed(method, error_code(err)) from None
        return dict(response.data) if isinstance(response.data, dict) else {}
