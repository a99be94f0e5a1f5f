"""The work after a Slack request's ack: translation (who asked: users.info; a slash command's
root message) and the core's dispatch.

:class:`AfterAck` is a part of :class:`bot.adapters.slack.app.SlackAdapter`; its
:meth:`AfterAck.work` runs in ``deputy serve`` right after the ack, or in ``deputy planner
run`` on a request ``deputy serve --no-plan`` queued (:mod:`bot.adapters.inbox`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.adapters.inbox import Attempt
from bot.adapters.slack import connect, events
from bot.adapters.slack.identity import ActorDirectory
from bot.adapters.slack.metadata import request_key
from bot.adapters.slack.modal import BadSubmission, ModifyTarget, build_modal
from bot.adapters.slack.port import ChatPostFailed, SlackPort
from bot.adapters.slack.render import escape
from bot.adapters.slack.workspaces import host_of
from bot.chat.buttons import parse_button
from bot.chat.events import ChatEvent, GoalPosted, ThreadReply
from bot.domain import Actor
from bot.flow.secret_guard import holds_secret

log = logging.getLogger(__name__)
Payload = dict[str, Any]
NOT_IN_CHANNEL = "I can't post in this channel yet: invite me with `/invite @Deputy`, then ask again."
GAVE_UP = ("Sorry: I could not finish handling your last request (it failed several times), so I "
           "stopped trying. Please ask again; if it fails again, tell whoever runs Deputy.")


class AfterAck:
    dispatch: Callable[[ChatEvent], Awaitable[None]]
    # is (channel, thread) the thread of a goal Deputy stored? (the core's answer, whichever
    # process started it); None: only the threads this process started count
    thread_known: Callable[[str, str], Awaitable[bool]] | None
    port: SlackPort
    directory: ActorDirectory
    _translating: asyncio.Semaphore

    async def work(self, kind: str, payload: Payload, attempt: Attempt | None = None) -> None:
        """The work after the ack of one request (here, or in ``deputy planner run``, where
        ``attempt`` may be a redo after a planner died: see :mod:`bot.adapters.inbox`)."""
        body, action = payload["body"], payload.get("action") or {}
        attempt = attempt or Attempt()
        if kind == "command":
            await self._command(body, attempt)
        elif kind == "app_mention":
            await self._mention(body, attempt)
        elif kind == "thread_reply":
            await self._reply(body, attempt)
        elif kind == "button":
            await self._button(body, action)
        elif kind == "modify":
            await self._modify(body)
        elif kind == "offer":
            await self._offer(body, action)
        elif kind == "credentials":
            await self._credentials(body)
        else:
            log.error("no work of kind %r", kind)

    async def give_up(self, kind: str, payload: Payload) -> None:
        """Tell the sender that a request the planner gave up on was not handled."""
        body = payload["body"]
        event = body.get("event") if isinstance(body.get("event"), dict) else None
        if event is not None:
            channel, user, thread = event.get("channel"), event.get("user"), event.get("thread_ts")
        elif kind == "command":
            channel, user, thread = body.get("channel_id"), body.get("user_id"), None
        else:  # a click or a form: its channel, when it came from one
            channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
            user = (body.get("user") or {}).get("id")
            thread = (body.get("message") or {}).get("thread_ts")
        if channel and user:
            team = events.team_of(body)  # the sender's workspace answers them (Slack Connect)
            await self.port.tell(str(channel), str(user), GAVE_UP, str(thread) if thread else None,
                                 team=f"{events.PLATFORM}:{team}" if team else None)
        else:
            log.warning("could not tell who sent a %s request that was given up", kind)

    async def _actor(self, body: Payload, user_id: str) -> Actor:
        async with self._translating:
            return await self.directory.actor(events.team_of(body), user_id, host_of(body))

    async def _command(self, body: Payload, attempt: Attempt) -> None:
        actor = await self._actor(body, str(body["user_id"]))
        event = events.command_event(body, actor)
        if isinstance(event, GoalPosted) and holds_secret(event):
            pass  # echo nothing, not even the root message: the core warns this person privately
        elif isinstance(event, GoalPosted):
            ts = attempt.notes.get("root_ts")  # a redo: the first attempt posted it already
            key = request_key(body)
            if not isinstance(ts, str) and attempt.redo and key:
                # it may have died after Slack took the root, before noting it: look first
                ts = await self.port.find_root(event.where.channel_id, key, team=event.where.team)
            if not isinstance(ts, str):
                # a slash command leaves no message to thread under: start one everybody sees
                root = f"<@{actor.user_id}> asked: {escape(event.text)}"
                await attempt.still_held()  # a planner that lost the request posts nothing more
                try:
                    async with self._translating:
                        ts = await self.port.post_root(event.where.channel_id, root, team=event.where.team, key=key)
                except ChatPostFailed as err:
                    if err.code in ("not_in_channel", "channel_not_found", "is_archived"):
                        await AsyncRespond(response_url=str(body["response_url"]))(
                            text=NOT_IN_CHANNEL, response_type="ephemeral")
                        return
                    raise
                await attempt.note(root_ts=ts)
            self.port.threads.add(event.where.channel_id, ts)
            event = replace(event, message_id=ts)
        elif event.name == "connect" and body.get("trigger_id"):
            self.port.remember_trigger(actor.user_id, str(body["trigger_id"]))
        await self._send(event, attempt)

    async def _send(self, event: ChatEvent, attempt: Attempt) -> None:
        """Dispatch; a redo's goal or reply says so, so the core finishes what an earlier
        attempt started instead of ignoring it as a platform's retry."""
        if attempt.redo and isinstance(event, GoalPosted | ThreadReply):
            event = replace(event, redelivered=True)
        await self.dispatch(event)

    async def _mention(self, body: Payload, attempt: Attempt) -> None:
        event = body["event"]
        actor = await self._actor(body, str(event["user"]))
        known = await self._known_thread(str(event["channel"]), event.get("thread_ts"))
        await self._send(events.mention_event(body, actor, known_thread=known), attempt)

    async def _known_thread(self, channel: str, thread: object) -> bool:
        """A thread Deputy answers in: started by this process, or (another planner's, an
        earlier process's) the thread of a stored goal."""
        if not isinstance(thread, str) or not thread:
            return False
        if (channel, thread) in self.port.threads:
            return True
        if self.thread_known is None or not await self.thread_known(channel, thread):
            return False
        self.port.threads.add(channel, thread)
        return True

    async def _reply(self, body: Payload, attempt: Attempt) -> None:
        actor = await self._actor(body, str(body["event"]["user"]))
        await self._send(events.reply_event(body, actor), attempt)

    async def _button(self, body: Payload, action: Payload) -> None:
        button = parse_button(str(action["action_id"]))
        actor = await self._actor(body, str(body["user"]["id"]))
        event = events.button_event(body, action, actor)
        if button.action != "modify":
            await self.dispatch(event)
            return
        target = ModifyTarget(button.plan_id, button.version, event.where.channel_id, event.where.thread_id)
        try:
            view = build_modal(str(action.get("value", "")), target)
        except BadSubmission:
            # a card drawn without editable values: let the core answer the click
            await self.dispatch(event)
            return
        await self.port.open_modal(str(body["trigger_id"]), view, team=host_of(body))

    async def _modify(self, body: Payload) -> None:
        actor = await self._actor(body, str(body["user"]["id"]))
        await self.dispatch(events.modify_event(body, actor))

    async def _offer(self, body: Payload, action: Payload) -> None:
        actor = await self._actor(body, str(body["user"]["id"]))
        await self.dispatch(events.offer_event(body, action, actor))

    async def _credentials(self, body: Payload) -> None:
        actor = await self._actor(body, str(body["user"]["id"]))
        try:
            event = events.credentials_event(body, actor)
        except connect.BadConnectForm:
            log.info("a connect submission Deputy did not open")
            return
        await self.dispatch(event)
