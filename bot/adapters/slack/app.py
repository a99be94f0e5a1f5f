"""The slack-bolt AsyncApp wiring: every request is answered at once, the work runs after.

Listeners only acknowledge and hand off (:mod:`bot.adapters.handoff`): the translation
(which may call users.info) and the core's dispatch run as tasks on the loop the adapter
was built on, so Slack gets its answer in milliseconds whatever the planner does. In
``deputy serve`` the acks come from a thread of their own (:mod:`bot.adapters.front_door`),
so even the planner's CPU time does not delay them; past ``max_pending`` waiting requests
the answer is a clear "busy" instead. The same app serves HTTP (:mod:`.http`) and Socket Mode
(:mod:`.socket_mode`). Given an inbox (``deputy serve --no-plan``), the work is queued in the
database instead, committed before the ack leaves unless the inbox says otherwise
(:meth:`SlackAdapter.later`), and ``deputy planner run`` runs it (:meth:`SlackAdapter.work`):
planning then shares not even the GIL with the acks (:mod:`bot.adapters.inbox`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.handoff import DEFAULT_LIMIT, Handoff
from bot.adapters.slack import connect, events
from bot.adapters.slack.after_ack import NOT_IN_CHANNEL as NOT_IN_CHANNEL
from bot.adapters.slack.after_ack import AfterAck
from bot.adapters.slack.events import RecentIds as RecentIds
from bot.adapters.slack.identity import ActorDirectory
from bot.adapters.slack.modal import (
    CALLBACK_ID,
    BadSubmission,
    read_submission,
)
from bot.adapters.slack.port import (
    ChannelLimiter,
    SlackPort,
    ThreadBook,
    make_client,
)
from bot.adapters.slack.render import OFFER_PREFIX
from bot.adapters.slack.settings import SlackSettings
from bot.adapters.slack.workspaces import OneWorkspace, host_of
from bot.chat.events import ChatEvent
from bot.metrics import REFUSED_BUSY

if TYPE_CHECKING:
    from bot.adapters.inbox_writer import InboxWriter
    from bot.adapters.slack.distribution import Distribution

log = logging.getLogger(__name__)

Dispatch = Callable[[ChatEvent], Awaitable[None]]
Payload = dict[str, Any]
BUSY = "Deputy is busy with many requests right now and did not take this one: please ask again in a minute."


def _session_if_running() -> aiohttp.ClientSession | None:
    # aiohttp sessions belong to a loop; built outside one, slack_sdk falls back to a
    # session per call
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return None
    return aiohttp.ClientSession()


class SlackAdapter(AfterAck):
    def __init__(
        self,
        settings: SlackSettings,
        dispatch: Dispatch,
        *,
        client: AsyncWebClient | None = None,
        default_timezone: str = "UTC",
        translate_concurrency: int = 16,
        max_pending: int = DEFAULT_LIMIT,
        distribution: Distribution | None = None,
        inbox: InboxWriter | None = None,
        thread_known: Callable[[str, str], Awaitable[bool]] | None = None,
    ) -> None:
        self.settings = settings
        self.dispatch = dispatch
        # a mention in a thread this process did not start: the core says whose it is
        self.thread_known = thread_known
        self._session: aiohttp.ClientSession | None = None
        if client is None:
            self._session = _session_if_running()
            client = make_client(settings, self._session)
        self.client = client
        # one workspace: this client everywhere; distributed: each workspace's own token
        self.distribution = distribution
        clients = distribution.workspaces if distribution is not None else OneWorkspace(self.client)
        self.port = SlackPort(self.client, ChannelLimiter(settings.post_interval_seconds, settings.post_burst),
                              ThreadBook(), clients if distribution is not None else None)
        self.directory = ActorDirectory(clients, default_timezone)
        self.recent = RecentIds()
        # acks may be served from another thread (deputy serve's front door): the work runs
        # on this loop, where the core and this client's session live
        self.handoff = Handoff("slack", max_pending)
        # set: the work after each ack goes to `deputy planner run` through the inbox table
        self.inbox = inbox
        # the adapter's own Web API calls before dispatch (users.info, a slash command's
        # root message) run a few at a time: under a flood, fresh requests still get their
        # ack promptly instead of queueing behind hundreds of half-done translations
        self._translating = asyncio.Semaphore(translate_concurrency)
        self.app = AsyncApp(
            # bolt's own calls (auth.test, once) may run on the acking thread: a client
            # without the shared session, which belongs to this loop
            client=client if self._session is None else make_client(settings),
            signing_secret=settings.signing_secret.get_secret_value(),
            # listeners return right after ack(): the response leaves without bolt's polling
            process_before_response=True,
            raise_error_for_unhandled_request=False,
            # distributed: "Add to Slack", and each request authorized with its workspace's token
            oauth_flow=distribution.flow if distribution is not None else None,
            authorize=distribution.authorize if distribution is not None else None,  # type: ignore[arg-type]
        )
        self._wire()

    # -- background work ---------------------------------------------------------------

    async def later(self, kind: str, body: Payload, action: Payload | None = None) -> None:
        """After the ack: do ``kind``'s work here, or queue it for ``deputy planner run``.
        Queued with the inbox's ``before_ack``, this returns once the request is committed:
        the listener returns only then, and with it the ack (``process_before_response``), so
        a ``web`` killed right after an ack has lost nothing. A commit that fails raises: Slack
        gets an error instead of an ack (and retries an event, which is let through again)."""
        payload: Payload = {"body": dict(body), "action": dict(action) if action is not None else None}
        if self.inbox is None:
            self.spawn(self.work(kind, payload), kind)
            return
        team = body.get("team_id") or (body["team"].get("id") if isinstance(body.get("team"), dict) else None)
        put = self.inbox.put(kind, payload, str(team) if team else None)
        if not self.inbox.before_ack:
            self.spawn(put, kind)
            return
        try:
            await self.handoff.run(put, kind)
        except BaseException:
            if body.get("type") == "event_callback" and body.get("event_id"):
                self.recent.forget(str(body["event_id"]))
            raise

    def spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        self.handoff.spawn(work, what)

    async def drain(self) -> None:
        """Wait for the work already accepted (graceful shutdown, tests)."""
        await self.handoff.drain()

    async def aclose(self, grace: float = 30.0) -> None:
        """Finish accepted work (``grace`` seconds at most, then cancel and log what is left)."""
        await self.handoff.aclose(grace)
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- wiring ------------------------------------------------------------------------

    def _wire(self) -> None:
        app = self.app
        # one middleware, not three: bolt builds each middleware's arguments per request
        app.use(self._admit)

        app.command("/deputy")(self._on_command)
        app.event("app_mention")(self._on_mention)
        app.event("message")(self._on_message)
        app.action(re.compile(r"^deputy:"))(self._on_button)
        app.view(CALLBACK_ID)(self._on_modify)
        app.action(re.compile("^" + re.escape(connect.ACTION_PREFIX)))(self._on_connect_button)
        app.action(re.compile("^" + re.escape(OFFER_PREFIX)))(self._on_offer_button)
        app.view(connect.CALLBACK_ID)(self._on_connect_submit)
        if self.distribution is not None:
            self.distribution.wire(self)

    async def _admit(self, body: Payload, next: Callable[[], Awaitable[Any]]) -> Any:
        """Before any listener, in this order: the shape, retries dropped, room to take it."""
        for check in (self._check_shape, self._drop_retry, self._check_room):
            refused = check(body)
            if refused is not None:
                return refused
        return await next()

    def _check_shape(self, body: Payload) -> BoltResponse | None:
        reason = events.problem(body)
        if reason is not None:
            log.info("refused a Slack request: %s", reason)
            return BoltResponse(status=400, body=reason)
        return None

    def _drop_retry(self, body: Payload) -> BoltResponse | None:
        # Slack redelivers (X-Slack-Retry-Num, same event_id) when an ack was late or lost;
        # the core also dedups by event_id, this spares it the work within one process
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not self.recent.first_time(str(event_id)):
            return BoltResponse(status=200, body="")
        return None

    def _check_room(self, body: Payload) -> BoltResponse | None:
        # backpressure: past max_pending, say so at once rather than queue without end
        if not self.handoff.full:
            return None
        REFUSED_BUSY.labels(platform="slack").inc()
        log.warning("Slack request refused: %d requests already waiting", self.handoff.pending)
        if body.get("command"):
            return BoltResponse(status=200, body={"response_type": "ephemeral", "text": BUSY})
        # Slack retries events later, and shows a button's click as failed
        return BoltResponse(status=503, body="busy", headers={"Retry-After": "5"})

    # -- listeners: ack, schedule, return ----------------------------------------------

    async def _on_command(self, ack: Any, body: Payload) -> None:
        await ack()
        await self.later("command", body)

    async def _on_mention(self, body: Payload) -> None:
        await self.later("app_mention", body)

    async def _on_message(self, body: Payload, context: Any) -> None:
        if events.is_person_thread_reply(body["event"], context.bot_user_id):
            await self.later("thread_reply", body)

    async def _on_button(self, ack: Any, body: Payload, action: Payload) -> None:
        await ack()
        await self.later("button", body, action)

    async def _on_modify(self, ack: Any, body: Payload) -> None:
        try:
            _, edits = read_submission(body["view"])
        except BadSubmission:
            await ack()
            return
        if not edits:
            first = next((b["block_id"] for b in body["view"].get("blocks", []) if b.get("type") == "input"), None)
            if first is not None:
                await ack(response_action="errors", errors={first: "Change at least one value, or cancel."})
                return
        await ack()
        await self.later("modify", body)

    async def _on_offer_button(self, ack: Any, body: Payload, action: Payload) -> None:
        await ack()
        await self.later("offer", body, action)

    async def _on_connect_button(self, ack: Any, body: Payload, action: Payload) -> None:
        await ack()
        where = events.button_where(body)
        try:
            view = connect.connect_modal(str(action.get("value", "")), where.channel_id if where else "", where.thread_id if where else None)
        except connect.BadConnectForm:
            log.info("a connect button without a form")
            return
        self.spawn(self.port.open_modal(str(body["trigger_id"]), view, team=host_of(body)), "connect_form")

    async def _on_connect_submit(self, ack: Any, body: Payload) -> None:
        await ack()
        await self.later("credentials", body)
