"""A fake Slack Web API on 127.0.0.1: records every call, answers like Slack does.

Point slack_sdk at it with ``base_url=fake.base_url``. Answers carry Slack's envelope
(``{"ok": true, …}`` or ``{"ok": false, "error": …}`` with HTTP 200), a 429 with
``Retry-After`` when asked to, and response_url posts are recorded under "response_url".

It refuses what Slack refuses, with Slack's error codes: no token → ``not_authed``, an unknown
one → ``invalid_auth``, a bot token where an app-level one is needed (or the reverse) →
``not_allowed_token_type``; a missing required argument → ``invalid_arguments`` ("[ERROR]
missing required field: channel"), a message with neither text nor blocks → ``no_text``;
blocks beyond Block Kit's limits → ``invalid_blocks`` (views: ``invalid_arguments``) with the
problems in ``response_metadata.messages`` (see :mod:`tests.fakes.block_kit`);
``chat.update`` of a message it never posted → ``message_not_found``; ``views.open`` with a
trigger it never issued → ``invalid_trigger_id``, used once already → ``exchanged_trigger_id``,
older than 3 s → ``expired_trigger_id``. Tests get a fresh trigger from :meth:`trigger_id`.

Workspaces and channels: a channel listed in :attr:`FakeSlackApi.channel_workspaces` (set by
:meth:`FakeSlackApi.channel`, and :meth:`FakeSlackApi.share` for Slack Connect) is seen only
by the workspaces it is in: a bot token of another workspace (``oauth.v2.access`` issued it
for that workspace) posting or editing there gets ``channel_not_found``, as Slack answers a bot
that cannot see the channel. A message is edited by the bot that posted it only: another
workspace's bot token gets ``cant_update_message``. Unlisted channels, and tokens of no
workspace (``BOT_TOKEN``), are not checked.

File uploads follow Slack's three steps (docs.slack.dev, files.getUploadURLExternal and
files.completeUploadExternal): ``files.getUploadURLExternal`` takes ``filename`` and
``length`` as form or query arguments only (a JSON body is not read: ``invalid_arguments``,
as Slack answers), ``length`` a positive integer; it answers ``upload_url`` and ``file_id``.
The bytes are POSTed to ``upload_url`` (no token; 404 for a URL it never issued). Then
``files.completeUploadExternal`` with ``files`` (a JSON array of ``{"id", "title"}``) shares
them; ``thread_ts`` needs exactly one channel in ``channel_id`` (``invalid_arguments``). A
file id it never issued, or whose bytes never arrived or differ from the declared
``length`` → ``file_not_found`` (the fake's code for those cases). Shared files are kept in
:attr:`files` with their bytes, channel and thread.

Message metadata (docs.slack.dev, "Using message metadata"): chat.postMessage's ``metadata``
must be an object of a string ``event_type`` and an object ``event_payload``, else
``invalid_metadata_format``; an ``event_type`` with other than letters, digits, ``_`` and ``-``
is dropped with the ``invalid_metadata_schema`` warning and the message posted without it.
``conversations.replies`` (``channel`` and ``ts`` required; a read method, so its arguments
come from the query string or a form, never a JSON body) answers the thread oldest first, a
``limit`` at a time with ``has_more`` and ``response_metadata.next_cursor``, each message's
``metadata`` only with ``include_all_metadata``; a thread it knows nothing of is
``thread_not_found``. ``conversations.history`` (``channel`` required, query or form only)
answers the channel's messages that are not thread replies, newest first, paged the same way.
The fake knows only the messages posted through it (not people's).

:meth:`hold` keeps chosen calls waiting, to kill the caller in the middle of its work.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes.block_kit import message_errors, view_errors
from tests.fakes.slack_oauth import FakeSlackOAuth

BOT_USER = "UDEPUTY"
TEAM = "T0001"
BOT_TOKEN = "xoxb-0000-test-token"
APP_TOKEN = "xapp-1-test"
TRIGGER_SECONDS = 3.0  # how long Slack lets a trigger_id open a view
MAX_TEXT = 40_000  # Slack truncates longer message text; the fake refuses it (msg_too_long)
# arguments each method requires (Slack's method reference)
REQUIRED = {
    "chat.postMessage": ("channel",),
    "chat.update": ("channel", "ts"),
    "chat.postEphemeral": ("channel", "user"),
    "users.info": ("user",),
    "views.open": ("trigger_id", "view"),
    "files.getUploadURLExternal": ("filename", "length"),
    "files.completeUploadExternal": ("files",),
    "conversations.replies": ("channel", "ts"),
    "conversations.history": ("channel",),
}
# methods whose arguments Slack reads only from a form or the query string, never JSON
FORM_ONLY = frozenset({"files.getUploadURLExternal", "conversations.replies", "conversations.history"})
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
# methods that speak in a channel (``channel``; files.completeUploadExternal: ``channel_id``)
IN_CHANNEL = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update", "files.completeUploadExternal",
                        "conversations.replies", "conversations.history"})
# Slack's rule for a metadata event_type; another is ignored with a warning, not refused
EVENT_TYPE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    authorized: bool
    # what the fake answered ({"ok": …}); None for response_url posts and 429s
    answer: dict[str, Any] | None = None
    token: str = ""  # the token the call carried


@dataclass
class FakeSlackApi:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # user groups as Slack lists them: {"id", "handle", "name", "users": [...]}
    usergroups: list[dict[str, Any]] = field(default_factory=list)
    # Enterprise Grid: the org's workspaces each person is in (users.info's
    # ``enterprise_user.teams``); a person not named here is in every workspace of the org
    grid_teams: dict[str, list[str]] = field(default_factory=dict)
    socket_url: str = ""
    calls: list[Call] = field(default_factory=list)
    _rate_limits: dict[str, list[int]] = field(default_factory=dict)
    _failures: dict[str, list[str]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    port: int = 0
    call_arrived: asyncio.Event = field(default_factory=asyncio.Event)
    tokens: set[str] = field(default_factory=lambda: {BOT_TOKEN})
    app_tokens: set[str] = field(default_factory=lambda: {APP_TOKEN})
    # messages Deputy posted, by (channel, ts): what chat.update may edit
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # (channel, ts) → the workspace whose bot token posted it (None: a token of no workspace)
    authors: dict[tuple[str, str], str | None] = field(default_factory=dict)
    # channel → the workspaces it is in (two for a Slack Connect channel); unlisted: any
    channel_workspaces: dict[str, set[str]] = field(default_factory=dict)
    # trigger_id → (issued at, monotonic; exchanged already)
    _triggers: dict[str, tuple[float, bool]] = field(default_factory=dict)
    # file id → {"filename", "length", "bytes" (once uploaded)}: uploads not yet completed
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    # file id → {"name", "title", "bytes", "channel", "thread_ts"}: files shared in a channel
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    # "Add to Slack": the authorize page and oauth.v2.access (tests/fakes/slack_oauth.py)
    oauth: FakeSlackOAuth = field(default_factory=FakeSlackOAuth)
    # calls kept waiting (hold()): (method, which params) → released when the event is set
    _holds: list[tuple[str, Callable[[dict[str, Any]], bool], asyncio.Event]] = field(default_factory=list)
    # calls waiting at a hold now, and those whose caller hung up while held (never carried out)
    held: list[Call] = field(default_factory=list)
    abandoned: list[Call] = field(default_factory=list)
    # connections to cut (cut()): (method, which params, after carrying the call out)
    _cuts: list[tuple[str, Callable[[dict[str, Any]], bool], bool]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def authorize_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/oauth/v2/authorize"

    @property
    def openid_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/openid/connect/authorize"

    def channel(self, channel_id: str, team_id: str) -> None:
        """``channel_id`` is a channel of workspace ``team_id``: other workspaces' bots do not see it."""
        self.channel_workspaces[channel_id] = {team_id}

    def share(self, channel_id: str, team_id: str) -> None:
        """Slack Connect: the channel is shared with workspace ``team_id`` too."""
        self.channel_workspaces.setdefault(channel_id, set()).add(team_id)

    def _workspace_of(self, token: str) -> str | None:
        known = self.oauth.token_teams.get(token)
        return known[0] if known else None

    def uninstall(self, team_id: str) -> None:
        """The workspace removed the app: its tokens stop working."""
        for token in self.oauth.tokens_of(team_id):
            self.tokens.discard(token)

    @property
    def response_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/response/1"

    async def start(self) -> FakeSlackApi:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # users.info and friends are GETs
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        app.router.add_get("/oauth/v2/authorize", self.oauth.authorize)
        app.router.add_get("/openid/connect/authorize", self.oauth.openid_authorize)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- steering ----------------------------------------------------------------------

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next ``times`` calls of ``method`` get 429 with this Retry-After."""
        self._rate_limits.setdefault(method, []).extend([retry_after] * times)

    def fail(self, method: str, error: str, times: int = 1) -> None:
        self._failures.setdefault(method, []).extend([error] * times)

    def hold(self, method: str, when: Callable[[dict[str, Any]], bool] = lambda params: True) -> asyncio.Event:
        """Keep calls of ``method`` (whose params match ``when``) waiting, unanswered and not
        carried out, until the returned event is set. A call whose client went away meanwhile
        (its process was killed) is then dropped, as Slack drops a request that never arrived
        whole: it lands in ``abandoned``, not in ``calls``."""
        release = asyncio.Event()
        self._holds.append((method, when, release))
        return release

    def cut(self, method: str, *, after: bool, when: Callable[[dict[str, Any]], bool] = lambda params: True) -> None:
        """The next call of ``method`` (whose params match ``when``) loses its connection with
        no answer: ``after`` — once Slack has carried it out (a chat.postMessage is then in
        the channel, as when a connection breaks after Slack took the request); else before
        (a pooled connection Slack had closed: nothing happened). The client sees the
        connection closed under it (aiohttp's ServerDisconnectedError)."""
        self._cuts.append((method, when, after))

    def _cut_now(self, method: str, params: dict[str, Any], after: bool) -> bool:
        for cut in list(self._cuts):
            if cut[0] == method and cut[2] == after and cut[1](params):
                self._cuts.remove(cut)
                return True
        return False

    def trigger_id(self, age: float = 0.0) -> str:
        """A trigger as Slack puts in a slash command or an interaction payload, issued
        ``age`` seconds ago."""
        n = len(self._triggers) + 1
        trigger = f"{13345224609 + n}.{738474920 + n}.{n:021x}"
        self._triggers[trigger] = (time.monotonic() - age, False)
        return trigger

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, within: float = 5.0) -> list[Call]:
        deadline = time.monotonic() + within
        while len(self.of(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} calls, got {self.of(method)}")
            await asyncio.sleep(0.01)
        return self.of(method)

    # -- the wire ----------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.method == "GET":
            return dict(request.query)
        raw = await request.text()
        if request.content_type == "application/json":
            if request.match_info.get("method") in FORM_ONLY:
                return dict(request.query)  # Slack does not read a JSON body here
            return {**request.query, **json.loads(raw or "{}")}
        # a POST's arguments may also sit in the query string (slack_sdk puts them there)
        params: dict[str, Any] = {**request.query, **dict(parse_qsl(raw, keep_blank_values=True))}
        for key in ("blocks", "view", "attachments", "files", "metadata"):
            if isinstance(params.get(key), str) and key == "metadata":
                params[key] = _json_or_none(params[key])  # unreadable: invalid_metadata_format
            elif isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        pending = self.uploads.get(file_id)
        if pending is None:
            return web.Response(status=404, text="Not Found")
        pending["bytes"] = await request.read()
        return web.Response(text=f"OK - {len(pending['bytes'])}")

    async def _response_url(self, request: web.Request) -> web.Response:
        self.calls.append(Call("response_url", await self._params(request), time.monotonic(), False))
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        for held_method, when, release in list(self._holds):
            if held_method == method and not release.is_set() and when(params):
                waiting = Call(method, params, time.monotonic(), True)
                self.held.append(waiting)
                await release.wait()
                self.held.remove(waiting)
                if request.transport is None or request.transport.is_closing():
                    self.abandoned.append(waiting)
                    return web.json_response({"ok": False, "error": "request_abandoned"})
        if self._cut_now(method, params, after=False):
            raise _Cut(request)
        bearer = request.headers.get("Authorization", "")
        token = bearer.removeprefix("Bearer ").strip() if bearer.startswith("Bearer ") else ""
        token = token or str(params.pop("token", "") or "")
        authorized = token in self.tokens or token in self.app_tokens
        self.calls.append(Call(method, params, time.monotonic(), authorized, token=token))
        self.call_arrived.set()
        if method in ("oauth.v2.access", "openid.connect.token"):  # the client's id and secret, not a token
            answer = (self.oauth.access if method == "oauth.v2.access" else self.oauth.openid_token)(request, params)
            if answer.get("access_token"):
                self.tokens.add(str(answer["access_token"]))
            self.calls[-1].answer = answer
            return web.json_response(answer)
        waits = self._rate_limits.get(method)
        if waits:
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(waits.pop(0))}
            )
        errors = self._failures.get(method)
        if errors:
            return web.json_response({"ok": False, "error": errors.pop(0)})
        if method == "openid.connect.userInfo":  # a user token of Sign in with Slack
            answer = self.oauth.user_info(token)
        else:
            answer = self._refusal(method, token, params) or self._answer(method, params, token)
        self.calls[-1].answer = answer
        if self._cut_now(method, params, after=True):
            raise _Cut(request)
        return web.json_response(answer)

    def _refusal(self, method: str, token: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """Slack's answer to a call it refuses, or None when the call is acceptable."""
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token not in self.tokens and token not in self.app_tokens:
            return {"ok": False, "error": "invalid_auth"}
        if (method in APP_TOKEN_METHODS) != (token in self.app_tokens):
            return {"ok": False, "error": "not_allowed_token_type"}
        missing = [name for name in REQUIRED.get(method, ()) if params.get(name) in (None, "")]
        if missing:
            return _invalid("invalid_arguments", [f"[ERROR] missing required field: {m}" for m in missing])
        unseen = self._unseen(method, token, params)
        if unseen:
            return {"ok": False, "error": unseen}
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            if method != "chat.update" and not params.get("text") and not params.get("blocks"):
                return {"ok": False, "error": "no_text"}
            if len(str(params.get("text") or "")) > MAX_TEXT:
                return {"ok": False, "error": "msg_too_long"}
            if "blocks" in params:
                problems = message_errors(params["blocks"])
                if problems:
                    return _invalid("invalid_blocks", problems)
        if method == "chat.postMessage" and "metadata" in params and not _metadata_readable(params["metadata"]):
            return {"ok": False, "error": "invalid_metadata_format"}
        if method == "chat.update" and (str(params["channel"]), str(params["ts"])) not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        if method == "views.open":
            trigger = str(params["trigger_id"])
            issued = self._triggers.get(trigger)
            if issued is None:
                return {"ok": False, "error": "invalid_trigger_id"}
            if issued[1]:
                return {"ok": False, "error": "exchanged_trigger_id"}
            if time.monotonic() - issued[0] > TRIGGER_SECONDS:
                return {"ok": False, "error": "expired_trigger_id"}
            problems = view_errors(params["view"])
            if problems:
                return _invalid("invalid_arguments", problems)
            self._triggers[trigger] = (issued[0], True)
        if method == "files.getUploadURLExternal" and (
                not str(params["length"]).isdigit() or int(params["length"]) == 0):
            return _invalid("invalid_arguments", ["[ERROR] length must be a positive integer"])
        if method == "files.completeUploadExternal":
            return self._completion_refused(params)
        return None

    def _unseen(self, method: str, token: str, params: dict[str, Any]) -> str | None:
        """The error of a bot speaking where its workspace cannot (see the module's text)."""
        workspace = self._workspace_of(token)
        if method not in IN_CHANNEL or workspace is None:
            return None
        channel = str(params.get("channel") or params.get("channel_id") or "")
        if workspace not in self.channel_workspaces.get(channel, {workspace}):
            return "channel_not_found"
        key = (channel, str(params.get("ts", "")))
        if method == "chat.update" and key in self.authors and self.authors[key] != workspace:
            return "cant_update_message"
        return None

    def _completion_refused(self, params: dict[str, Any]) -> dict[str, Any] | None:
        shared = params["files"]
        if not isinstance(shared, list) or not shared or not all(isinstance(f, dict) and f.get("id") for f in shared):
            return _invalid("invalid_arguments", ["[ERROR] files must be an array of {id, title}"])
        if params.get("thread_ts") and (not params.get("channel_id") or "," in str(params["channel_id"])):
            return _invalid("invalid_arguments", ["[ERROR] thread_ts needs exactly one channel_id"])
        for item in shared:
            pending = self.uploads.get(str(item["id"]))
            if pending is None or pending.get("bytes") is None or len(pending["bytes"]) != pending["length"]:
                return {"ok": False, "error": "file_not_found"}
        return None

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        """conversations.replies: the thread's parent and replies, oldest first, a page of
        ``limit`` at a time (``cursor``: the fake's own, the index to go on from). A message's
        ``metadata`` only with ``include_all_metadata`` (Slack's default is false). The fake
        knows only what was posted through it: a person's parent message is not among them."""
        channel, thread = str(params["channel"]), str(params["ts"])
        thread_of = [m for (c, _), m in sorted(self.messages.items(), key=lambda kv: float(kv[0][1]))
                     if c == channel and thread in (m["ts"], m.get("thread_ts"))]
        if not thread_of:
            return {"ok": False, "error": "thread_not_found"}
        return self._page(thread_of, params, default=1000)

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: the channel's messages that are not thread replies, newest
        first, ``limit`` (default 100) a page; ``metadata`` only with ``include_all_metadata``."""
        channel = str(params["channel"])
        newest = [m for (c, _), m in sorted(self.messages.items(), key=lambda kv: -float(kv[0][1]))
                  if c == channel and m.get("thread_ts") in (None, m["ts"])]
        return self._page(newest, params)

    def _page(self, found: list[dict[str, Any]], params: dict[str, Any], default: int = 100) -> dict[str, Any]:
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        start, limit = int(params.get("cursor") or 0), int(params.get("limit") or default)
        page = [{k: v for k, v in m.items() if k != "metadata" or with_metadata} for m in found[start:start + limit]]
        more = start + limit < len(found)
        return {"ok": True, "messages": page, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{1_760_000_000 + n}.{n:06d}"

    def _answer(self, method: str, params: dict[str, Any], token: str = "") -> dict[str, Any]:
        if method == "auth.test":
            team, enterprise = self.oauth.token_teams.get(token, (TEAM, None))
            return {"ok": True, "url": "https://deputy-test.slack.com/", "team": "Test", "user": "deputy",
                    "team_id": team, "enterprise_id": enterprise, "user_id": BOT_USER, "bot_id": "BDEPUTY",
                    "is_enterprise_install": False}
        if method == "chat.postMessage":
            ts = self._next_ts()
            message = {"type": "message", "text": params.get("text", ""), "ts": ts, "bot_id": "BDEPUTY"}
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            metadata, warning = params.get("metadata"), None
            if isinstance(metadata, dict) and not EVENT_TYPE.fullmatch(str(metadata["event_type"])):
                metadata, warning = None, "invalid_metadata_schema"  # kept without its metadata
            self.messages[(str(params["channel"]), ts)] = {**message, "blocks": params.get("blocks", [])}
            if isinstance(metadata, dict):
                self.messages[(str(params["channel"]), ts)]["metadata"] = metadata
            self.authors[(str(params["channel"]), ts)] = self._workspace_of(token)
            answer = {"ok": True, "channel": params.get("channel"), "ts": ts, "message": message}
            return {**answer, "warning": warning} if warning else answer
        if method == "conversations.replies":
            return self._replies(params)
        if method == "conversations.history":
            return self._history(params)
        if method == "chat.update":
            stored = self.messages[(str(params["channel"]), str(params["ts"]))]
            stored.update(text=params.get("text", stored["text"]), blocks=params.get("blocks", stored["blocks"]))
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts"), "text": params.get("text", "")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "users.info":
            user = self.users.get(str(params.get("user")))
            if not user:
                return {"ok": False, "error": "user_not_found"}
            _, org = self.oauth.token_teams.get(token, (TEAM, None))
            if org is not None:  # a Grid org's person: found org-wide, with their workspaces
                teams = self.grid_teams.get(str(user["id"])) or [
                    w.team_id for w in self.oauth.workspaces.values() if w.enterprise_id == org]
                user = {**user, "enterprise_user": {"id": user["id"], "enterprise_id": org, "teams": teams}}
            return {"ok": True, "user": user}
        if method == "usergroups.list":
            if token in self.oauth.org_tokens and not params.get("team_id"):
                # "team_id: required if org token is used" (docs.slack.dev usergroups.list)
                return {"ok": False, "error": "missing_argument"}
            include = str(params.get("include_users", "")).lower() in ("true", "1")
            groups = [g if include else {k: v for k, v in g.items() if k != "users"} for g in self.usergroups]
            return {"ok": True, "usergroups": groups}
        if method == "views.open":
            return {"ok": True, "view": {"id": "V0001", **dict(params.get("view") or {})}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.uploads) + len(self.files) + 1:010d}"
            self.uploads[file_id] = {"filename": str(params["filename"]), "length": int(params["length"])}
            return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/v1/{file_id}",
                    "file_id": file_id}
        if method == "files.completeUploadExternal":
            done = []
            for item in params["files"]:
                pending = self.uploads.pop(str(item["id"]))
                self.files[str(item["id"])] = {
                    "name": pending["filename"], "title": item.get("title") or pending["filename"],
                    "bytes": pending["bytes"], "channel": params.get("channel_id"),
                    "thread_ts": params.get("thread_ts")}
                done.append({"id": item["id"], "name": pending["filename"], "title": item.get("title", "")})
            return {"ok": True, "files": done}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        return {"ok": False, "error": "unknown_method"}


class _Cut(Exception):
    """The connection of ``request`` is closed with no answer (``FakeSlackApi.cut``)."""

    def __init__(self, request: web.Request) -> None:
        super().__init__("connection cut")
        if request.transport is not None:
            request.transport.close()


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _metadata_readable(metadata: Any) -> bool:
    """Slack's ``invalid_metadata_format``: metadata that is not an object of a string
    ``event_type`` and an object ``event_payload``."""
    return (isinstance(metadata, dict) and isinstance(metadata.get("event_type"), str)
            and isinstance(metadata.get("event_payload"), dict))


def _invalid(error: str, messages: list[str]) -> dict[str, Any]:
    """Slack's shape for a refused argument: the code, and each problem in words."""
    return {
        "ok": False,
        "error": error,
        "errors": [m.removeprefix("[ERROR] ") for m in messages],
        "response_metadata": {"messages": messages},
    }
