"""A fake Discord on 127.0.0.1: the gateway over WebSocket and the REST calls Deputy makes.

It speaks Discord's wire format closely enough for the real discord.py client (2.7) to log
in, receive GUILD_CREATE, messages and interactions, and to post, edit, thread and answer
interactions. Tests drive it (``post_message``, ``click``, ``drop_connection``) and read
what the bot did from ``calls``, ``messages`` and ``callbacks``.

More guilds: ``join_guild`` adds one (its own roles, channel and members) with the
GUILD_CREATE Discord sends when the bot is invited, ``remove_guild`` sends GUILD_DELETE (the
bot kicked; its channels then answer 403 ``{"code": 50001, "message": "Missing Access"}``)
and ``guild_outage`` GUILD_DELETE with ``unavailable: true``. A member's interaction carries
its permissions: ADMINISTRATOR for the guild's owner and ``admins``, the @everyone role's
otherwise, as Discord computes them.

It refuses what Discord refuses: a message, edit, interaction answer or follow-up beyond
Discord's limits gets 400 ``{"code": 50035, "message": "Invalid Form Body", "errors": …}``
(see :mod:`tests.fakes.discord_limits`); an interaction answered more than 3 s after it was
sent gets 404 ``{"code": 10062, "message": "Unknown interaction"}``, and a follow-up more
than 15 minutes after it 401 ``{"code": 50027, "message": "Invalid Webhook Token"}``. Tests
move the fake's clock with :meth:`advance` instead of sleeping.

Files come as Discord takes them (developer docs, "Uploading Files"): a multipart/form-data
body with the JSON payload in a ``payload_json`` part and each file in a ``files[n]`` part,
the payload's ``attachments`` naming them by ``id`` n. A file over 10 MiB gets 413
``{"code": 40005, "message": "Request entity too large"}``; more than 10 files, or an
``attachments`` entry with no ``files[n]`` part, 400 with code 50035. A message's files are
kept in :attr:`files` (attachment id → bytes) and listed in its ``attachments``.

A message's ``nonce`` (developer docs, "Create Message": up to 25 characters, else 400 code
50035) is kept: with ``enforce_nonce`` true, a second message from the same author with the
same nonce within :attr:`FakeDiscord.nonce_seconds` (Discord says "the past few minutes" and
names no number) is not created: the first is returned. The create answer carries the
nonce; ``GET /channels/{id}/messages`` (newest first, ``limit`` 1-100, default 50, one of
``before`` / ``after`` / ``around``) does not: a fetched message's nonce is not something to
rely on, so Deputy does not.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_limits import (
    command_errors,
    message_errors,
    modal_errors,
    thread_errors,
)
from tests.fakes.discord_oauth import FakeDiscordOAuth, bot_guilds

JSON = "application/json"  # discord.py parses a body only with exactly this content type
EPOCH = "2026-11-27T10:00:00.000000+00:00"
ADMIN = str(1 << 3)
EVERYONE = "3072"  # VIEW_CHANNEL | SEND_MESSAGES
ANSWER_SECONDS = 3.0  # an interaction must be answered within 3 s of being sent
TOKEN_SECONDS = 15 * 60  # its token takes follow-ups for 15 minutes
MAX_FILES = 10
MAX_FILE_BYTES = 10 * 1024 * 1024  # a bot's upload limit in a guild without boosts
NONCE_SECONDS = 120.0  # how long this fake keeps a nonce (Discord: "a few minutes")


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float


@dataclass
class Refused:
    """A handler's answer that is a 400 ``Invalid Form Body`` with ``errors``."""

    errors: dict[str, Any]


@dataclass
class Callback:
    interaction_id: str
    type: int
    data: dict[str, Any]
    at: float


def user(user_id: str, name: str, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "flags": 0,
        "public_flags": 0,
    }


@dataclass
class FakeDiscord:
    token: str = "fake-bot-token"
    app_id: str = "1100000000000000001"
    guild_id: str = "1100000000000000002"
    channel_id: str = "1100000000000000003"
    bot: dict[str, Any] = field(default_factory=lambda: user("1100000000000000004", "deputy", True))
    roles: dict[str, str] = field(
        default_factory=lambda: {"finance": "1100000000000000005", "staff": "1100000000000000006"}
    )
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    member_roles: dict[str, list[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    callbacks: list[Callback] = field(default_factory=list)
    identifies: int = 0
    intents: int = 0
    resumes: int = 0
    commands: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # attachment id → the bytes sent
    # guilds joined after the first (join_guild): id → {name, owner, roles, member_roles}
    guilds: dict[str, dict[str, Any]] = field(default_factory=dict)
    removed_guilds: set[str] = field(default_factory=set)  # the bot was removed (GUILD_DELETE)
    admins: set[str] = field(default_factory=set)  # people with Manage Server (the owner has all)
    # "Sign in with Discord": authorize, token exchange, Bearer calls (tests/fakes/discord_oauth.py)
    oauth: FakeDiscordOAuth = field(default_factory=FakeDiscordOAuth)
    nonce_seconds: float = NONCE_SECONDS

    def __post_init__(self) -> None:
        self._ids = itertools.count(1200000000000000000)
        self._seq = 0
        self._socket: web.WebSocketResponse | None = None
        self._connected = asyncio.Event()
        self._sent_at: dict[str, float] = {}
        self._interactions: dict[str, tuple[str, int]] = {}
        self._nonces: dict[tuple[str, str], tuple[float, str]] = {}  # (author, nonce) → (at, message id)
        self._runner: web.AppRunner | None = None
        self._offset = 0.0
        self.port = 0
        self.add_person("alice", ["finance"])
        self.add_person("bob", ["staff"])
        self.channels[self.channel_id] = {
            "id": self.channel_id,
            "type": 0,
            "name": "general",
            "guild_id": self.guild_id,
            "position": 0,
            "permission_overwrites": [],
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }

    # ---- set-up -------------------------------------------------------------------

    def add_person(self, name: str, groups: list[str]) -> None:
        self.people[name] = user(self.new_id(), name)
        self.member_roles[name] = [self.roles[g] for g in groups]

    def now(self) -> float:
        """The fake's clock: monotonic time, moved on by :meth:`advance`."""
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass for interaction deadlines, without waiting."""
        self._offset += seconds

    def new_id(self) -> str:
        return str(next(self._ids))

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def authorize_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/oauth2/authorize"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * MAX_FILE_BYTES)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/oauth2/authorize", self.oauth.authorize)
        app.router.add_post("/api/v10/oauth2/token", self.oauth.token)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- gateway --------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(
            json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        )
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            payload = json.loads(msg.data)
            op = payload["op"]
            if op == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
            elif op == 2:
                assert payload["d"]["token"] == self.token, "IDENTIFY with the wrong token"
                self.identifies += 1
                self.intents = int(payload["d"]["intents"])
                self._socket = ws
                await self._send("READY", self._ready())
                for guild_id in self._present_guilds():
                    await self._send("GUILD_CREATE", self._guild(guild_id))
                self._connected.set()
            elif op == 6:
                self.resumes += 1
                self._socket = ws
                await self._send("RESUMED", {})
                self._connected.set()
        return ws

    async def _send(self, event: str, data: dict[str, Any]) -> None:
        assert self._socket is not None, "no gateway connection"
        self._seq += 1
        await self._socket.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    def _present_guilds(self) -> list[str]:
        return [g for g in [self.guild_id, *self.guilds] if g not in self.removed_guilds]

    def _ready(self) -> dict[str, Any]:
        return {
            "v": 10,
            "user": self.bot,
            "guilds": [{"id": g, "unavailable": True} for g in self._present_guilds()],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "shard": [0, 1],
            "application": {"id": self.app_id, "flags": 0},
            "private_channels": [],
        }

    def guild_of(self, channel_id: str) -> str:
        return str(self.channels[channel_id].get("guild_id") or self.guild_id)

    def _roles_of(self, name: str, guild_id: str | None) -> list[str]:
        if guild_id not in self.guilds:  # the first guild, or one a test only names
            return self.member_roles[name]
        return list(self.guilds[guild_id]["member_roles"].get(name, []))

    def permissions_of(self, name: str, guild_id: str | None = None) -> str:
        """A member's permissions as an interaction carries them: everything for the owner and
        for admins (ADMINISTRATOR), the @everyone role's (view, send) for everyone else."""
        guild = guild_id or self.guild_id
        owner = self.guilds[guild]["owner"] if guild in self.guilds else "alice"
        return ADMIN if name == owner or name in self.admins else EVERYONE

    def _member(self, name: str, guild_id: str | None = None) -> dict[str, Any]:
        return {
            "user": self.people[name],
            "roles": self._roles_of(name, guild_id),
            "joined_at": EPOCH,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
        }

    def _member_by_id(self, user_id: str, guild_id: str | None = None) -> dict[str, Any]:
        (name,) = [n for n, u in self.people.items() if u["id"] == user_id]
        return self._member(name, guild_id)

    def _guild(self, guild_id: str | None = None) -> dict[str, Any]:
        guild_id = guild_id or self.guild_id
        extra = self.guilds.get(guild_id)
        role_ids = extra["roles"] if extra else self.roles
        everyone: dict[str, Any] = {"id": guild_id, "name": "@everyone", "permissions": EVERYONE}
        roles: list[dict[str, Any]] = [everyone] + [
            {"id": rid, "name": name, "permissions": "0"} for name, rid in role_ids.items()
        ]
        for position, role in enumerate(roles):
            role.update(
                position=position, color=0, hoist=False, managed=False, mentionable=True, flags=0
            )
        bot_member = {
            "user": self.bot,
            "roles": [],
            "joined_at": EPOCH,
            "deaf": False,
            "mute": False,
            "flags": 0,
        }
        people = list(extra["member_roles"]) if extra else list(self.people)
        channels = [c for c in self.channels.values() if self.guild_of(c["id"]) == guild_id]
        return {
            "id": guild_id,
            "name": extra["name"] if extra else "Acme",
            "icon": None,
            "owner_id": self.people[extra["owner"] if extra else "alice"]["id"],
            "roles": roles,
            "channels": [c for c in channels if c["type"] == 0],
            "threads": [c for c in channels if c["type"] == 11],
            "members": [self._member(n, guild_id) for n in people] + [bot_member],
            "member_count": len(people) + 1,
            "large": False,
            "unavailable": False,
            "features": [],
            "emojis": [],
            "stickers": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "joined_at": EPOCH,
        }

    # ---- guilds joined and left -------------------------------------------------------

    async def join_guild(self, name: str, members: dict[str, list[str]], owner: str,
                         roles: tuple[str, ...] = ("finance", "staff")) -> dict[str, str]:
        """The bot is added to another guild (its own roles, one text channel, ``members``:
        person → role names, people added as needed). Discord then sends GUILD_CREATE without
        ``unavailable``, which discord.py reports as a join. Returns ids: guild, channel and
        each role by name."""
        guild_id, channel_id = self.new_id(), self.new_id()
        role_ids = {role: self.new_id() for role in roles}
        for person in members:
            if person not in self.people:
                self.people[person] = user(self.new_id(), person)
                self.member_roles[person] = []
        self.guilds[guild_id] = {"name": name, "owner": owner, "roles": role_ids, "member_roles": {
            person: [role_ids[r] for r in held] for person, held in members.items()}}
        self.channels[channel_id] = {**self.channels[self.channel_id], "id": channel_id,
                                     "guild_id": guild_id, "name": "general"}
        payload = self._guild(guild_id)
        del payload["unavailable"]
        await self._send("GUILD_CREATE", payload)
        return {"guild": guild_id, "channel": channel_id, **role_ids}

    async def remove_guild(self, guild_id: str) -> None:
        """The bot is kicked (or the guild deleted): GUILD_DELETE without ``unavailable``.
        From then on its channels answer 403 Missing Access, as Discord's do."""
        self.removed_guilds.add(guild_id)
        await self._send("GUILD_DELETE", {"id": guild_id})

    async def rejoin_guild(self, guild_id: str) -> None:
        """The bot is invited again to a guild it was removed from (GUILD_CREATE, a join)."""
        self.removed_guilds.discard(guild_id)
        payload = self._guild(guild_id)
        del payload["unavailable"]
        await self._send("GUILD_CREATE", payload)

    async def guild_outage(self, guild_id: str) -> None:
        """A Discord outage for one guild: GUILD_DELETE with ``unavailable: true`` (the bot
        is still in it)."""
        await self._send("GUILD_DELETE", {"id": guild_id, "unavailable": True})

    async def wait_connected(self, within: float = 5) -> None:
        await asyncio.wait_for(self._connected.wait(), within)

    async def drop_connection(self) -> None:
        """Close the gateway socket the way a network hiccup or a Discord restart does."""
        assert self._socket is not None
        self._connected.clear()
        socket, self._socket = self._socket, None
        await socket.close(code=4000, message=b"fake Discord went away")

    # ---- what people do -------------------------------------------------------------

    async def post_message(
        self, name: str, content: str, channel_id: str | None = None
    ) -> dict[str, Any]:
        channel_id = channel_id or self.channel_id
        author = self.people[name]
        mentions = [self.bot] if f"<@{self.bot['id']}>" in content else []
        message = self._message(channel_id, author, {"content": content}, mentions=mentions)
        member = {k: v for k, v in self._member(name, self.guild_of(channel_id)).items() if k != "user"}
        await self._send("MESSAGE_CREATE", {**message, "member": member})
        return message

    async def click(self, name: str, message_id: str, custom_id: str, *, guild_id: str | None = None) -> str:
        """A button click on a stored message; returns the interaction id. ``guild_id`` plays
        a click that Discord delivers from another guild (the member is of that guild)."""
        message = self.messages[message_id]
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(name, 3, data, message["channel_id"], message=message,
                                    guild_id=guild_id)

    async def slash(self, name: str, goal: str, channel_id: str | None = None) -> str:
        data = {
            "id": self.commands[0]["id"] if self.commands else self.new_id(),
            "name": "deputy",
            "type": 1,
            "guild_id": self.guild_of(channel_id or self.channel_id),
            "options": [{"name": "goal", "type": 3, "value": goal}],
        }
        return await self._interact(name, 2, data, channel_id or self.channel_id)

    async def submit_modal(
        self, name: str, message_id: str, custom_id: str, values: dict[str, str]
    ) -> str:
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": cid, "value": value}]}
            for cid, value in values.items()
        ]
        message = self.messages[message_id]
        data = {"custom_id": custom_id, "components": rows}
        return await self._interact(name, 5, data, message["channel_id"], message=message)

    def open_interaction(self, kind: int = 3, channel_id: str | None = None) -> str:
        """An interaction sent (its deadlines start now) but not delivered over the gateway:
        a test answers it itself. Returns the id; the token is ``token-<id>``."""
        interaction_id = self.new_id()
        self._sent_at[interaction_id] = self.now()
        self._interactions[interaction_id] = (channel_id or self.channel_id, kind)
        return interaction_id

    async def _interact(
        self,
        name: str,
        kind: int,
        data: dict[str, Any],
        channel_id: str,
        message: dict[str, Any] | None = None,
        guild_id: str | None = None,
    ) -> str:
        interaction_id = self.new_id()
        guild = guild_id or self.guild_of(channel_id)
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": self.app_id,
            "type": kind,
            "data": data,
            "guild_id": guild,
            "channel_id": channel_id,
            "channel": self.channels[channel_id],
            "member": {**self._member(name, guild), "permissions": self.permissions_of(name, guild)},
            "token": f"token-{interaction_id}",
            "version": 1,
            "app_permissions": ADMIN,
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": guild},
            "context": 0,
            "attachment_size_limit": 10485760,
        }
        if message is not None:
            payload["message"] = message
        self._sent_at[interaction_id] = self.now()
        self._interactions[interaction_id] = (channel_id, kind)
        await self._send("INTERACTION_CREATE", payload)
        return interaction_id

    # ---- REST -----------------------------------------------------------------------

    async def _multipart(self, request: web.Request) -> tuple[Any, dict[str, tuple[str, bytes]]]:
        """payload_json and the files[n] parts of a multipart body."""
        form = await request.post()
        raw = form.get("payload_json")
        if isinstance(raw, web.FileField):
            raw = raw.file.read()
        body = json.loads(raw.decode() if isinstance(raw, bytes | bytearray) else str(raw)) if raw else {}
        parts = {}
        for name, value in form.items():
            if name.startswith("files[") and isinstance(value, web.FileField):
                parts[name[6:-1]] = (value.filename, value.file.read())
        return body, parts

    def _files_refused(self, body: Any, parts: dict[str, tuple[str, bytes]]) -> web.Response | None:
        if not isinstance(body, dict):
            return None  # e.g. the list of commands
        if any(len(data) > MAX_FILE_BYTES for _, data in parts.values()):
            return self._json({"message": "Request entity too large", "code": 40005}, 413)
        named = [str(a.get("id")) for a in body.get("attachments") or [] if "id" in a]
        if len(parts) > MAX_FILES or any(n not in parts for n in named):
            return self._invalid({"attachments": {"_errors": [{
                "code": "BASE_TYPE_BAD_LENGTH" if len(parts) > MAX_FILES else "ATTACHMENT_NOT_FOUND",
                "message": "Must be 10 or fewer in length." if len(parts) > MAX_FILES
                else "Attachment not found in the files parts"}]}})
        return None

    def _attach(self, message: dict[str, Any], body: Any, parts: dict[str, tuple[str, bytes]]) -> None:
        for n, (filename, data) in sorted(parts.items()):
            named = next((a for a in (body or {}).get("attachments") or [] if str(a.get("id")) == n), {})
            attachment_id = self.new_id()
            name = named.get("filename") or filename
            self.files[attachment_id] = data
            url = f"https://cdn.discordapp.com/attachments/{message['channel_id']}/{attachment_id}/{name}"
            message["attachments"].append({"id": attachment_id, "filename": name, "size": len(data),
                                           "url": url, "proxy_url": url})

    async def _rest(self, request: web.Request) -> web.Response:
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type == "multipart/form-data":
            body, files = await self._multipart(request)
        else:
            body = await request.json() if request.can_read_body else None
        path = "/" + request.match_info["tail"]
        self.calls.append(Call(request.method, path, dict(request.query), body, self.now()))
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):  # a person's OAuth2 token (Sign in with Discord)
            status, answer = self.oauth.bearer(self, authorization[7:], path.strip("/").split("/"))
            return self._json(answer, status)
        if not path.startswith(("/interactions/", "/webhooks/")):
            if authorization != f"Bot {self.token}":
                return self._json({"message": "401: Unauthorized", "code": 0}, 401)
        parts = path.strip("/").split("/")
        route = (request.method, *[p if p.isdigit() is False else "#" for p in parts])
        if parts[0] == "channels" and parts[1] in self.channels and (
                self.guild_of(parts[1]) in self.removed_guilds):
            return self._json({"message": "Missing Access", "code": 50001}, 403)
        handler = {
            ("GET", "users", "@me"): lambda: self.bot,
            ("GET", "users", "@me", "guilds"): lambda: bot_guilds(self),
            ("GET", "oauth2", "applications", "@me"): self._application,
            ("GET", "channels", "#"): lambda: self.channels[parts[1]],
            ("GET", "guilds", "#", "members", "#"): lambda: self._member_by_id(parts[3], parts[1]),
            ("PUT", "applications", "#", "commands"): lambda: self._sync(body),
            ("POST", "channels", "#", "messages"): lambda: self._create(parts[1], body, files),
            ("GET", "channels", "#", "messages"): lambda: self._history(parts[1], request.query),
            ("PATCH", "channels", "#", "messages", "#"): lambda: self._edit(parts[3], body),
            ("POST", "channels", "#", "messages", "#", "threads"): lambda: self._thread(
                parts[1], body, parts[3]
            ),
            ("POST", "channels", "#", "threads"): lambda: self._thread(parts[1], body, None),
        }.get(route)
        if route[:2] == ("POST", "interactions"):
            return await self._callback(parts[1], body)
        if route[:2] == ("POST", "webhooks") and len(parts) == 3:
            sent_at = self._sent_at.get(parts[2].removeprefix("token-"))
            if sent_at is None or self.now() - sent_at > TOKEN_SECONDS:
                return self._json({"message": "Invalid Webhook Token", "code": 50027}, 401)
            return self._invalid(message_errors(body)) or self._json(self._followup(parts[2], body))
        checks = {
            ("POST", "channels", "#", "messages"): message_errors,
            ("PATCH", "channels", "#", "messages", "#"): message_errors,
            ("POST", "channels", "#", "messages", "#", "threads"): thread_errors,
            ("POST", "channels", "#", "threads"): thread_errors,
            ("PUT", "applications", "#", "commands"): command_errors,
        }
        if route in checks:
            refused = self._invalid(checks[route](body)) or self._files_refused(body, files)
            if refused is not None:
                return refused
        if handler is None:
            return self._json(
                {"message": f"fake Discord has no {request.method} {path}", "code": 0}, 404
            )
        result = handler()
        if isinstance(result, asyncio.Future | asyncio.Task) or asyncio.iscoroutine(result):
            result = await result
        if isinstance(result, Refused):
            return self._invalid(result.errors) or self._json({}, 400)
        return self._json(result)

    def _invalid(self, errors: dict[str, Any]) -> web.Response | None:
        if not errors:
            return None
        return self._json({"code": 50035, "errors": errors, "message": "Invalid Form Body"}, 400)

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        # body + explicit header: aiohttp's content_type= would append "; charset=utf-8"
        return web.Response(
            body=json.dumps(data).encode(), status=status, headers={"Content-Type": JSON}
        )

    def _application(self) -> dict[str, Any]:
        return {
            "id": self.app_id,
            "name": "Deputy",
            "icon": None,
            "description": "",
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "00",
            "owner": self.people["alice"],
            "team": None,
            "flags": 0,
            "interactions_endpoint_url": None,
        }

    def _sync(self, body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.commands = [
            {**cmd, "id": self.new_id(), "application_id": self.app_id, "version": "1", "type": 1}
            for cmd in body
        ]
        return self.commands

    def _create(self, channel_id: str, body: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        """Create Message: with ``enforce_nonce``, the author's message of the same nonce
        within :attr:`nonce_seconds` is returned instead of creating another."""
        nonce = body.get("nonce")
        key = (self.bot["id"], str(nonce))
        if nonce is not None and body.get("enforce_nonce") is True:
            seen = self._nonces.get(key)
            if seen is not None and self.now() - seen[0] <= self.nonce_seconds and seen[1] in self.messages:
                return {**self.messages[seen[1]], "nonce": nonce}
        message = self._message(channel_id, self.bot, body, files=files)
        if nonce is None:
            return message
        self._nonces[key] = (self.now(), message["id"])
        return {**message, "nonce": nonce}

    def _history(self, channel_id: str, query: Any) -> Refused | list[dict[str, Any]]:
        """Get Channel Messages: newest first, at most ``limit`` (1-100, default 50)."""
        limit = query.get("limit", "50")
        if not limit.isdigit() or not 1 <= int(limit) <= 100:
            return Refused({"limit": {"_errors": [{"code": "NUMBER_TYPE_MAX",
                                                     "message": "int value should be <= 100 and >= 1."}]}})
        if sum(k in query for k in ("before", "after", "around")) > 1:
            return Refused({"_errors": [{"code": "BASE_TYPE_BAD", "message": "before, after and around "
                                          "are mutually exclusive"}]})
        found = sorted((m for m in self.messages.values() if m["channel_id"] == channel_id),
                       key=lambda m: int(m["id"]), reverse=True)
        if "before" in query:
            found = [m for m in found if int(m["id"]) < int(query["before"])]
        if "after" in query:  # the oldest ``limit`` after it, still newest first
            found = [m for m in found if int(m["id"]) > int(query["after"])][-int(limit):]
        if "around" in query:
            at = int(query["around"])
            found = sorted(found, key=lambda m: abs(int(m["id"]) - at))[:int(limit)]
            found.sort(key=lambda m: int(m["id"]), reverse=True)
        return found[:int(limit)]

    def _message(
        self,
        channel_id: str,
        author: dict[str, Any],
        body: dict[str, Any],
        mentions: list[dict[str, Any]] | None = None,
        flags: int = 0,
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> dict[str, Any]:
        message = {
            "id": self.new_id(),
            "channel_id": channel_id,
            "guild_id": self.guild_of(channel_id),
            "author": author,
            "content": body.get("content") or "",
            "timestamp": EPOCH,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": mentions or [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": body.get("flags", flags),
        }
        if body.get("message_reference"):
            message["message_reference"] = body["message_reference"]
        self._attach(message, body, files or {})
        self.messages[message["id"]] = message
        return message

    def _edit(self, message_id: str, body: dict[str, Any]) -> dict[str, Any]:
        message = self.messages[message_id]
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = (
                    body[key] if body[key] is not None else ([] if key != "content" else "")
                )
        message["edited_timestamp"] = EPOCH
        return message

    async def _thread(
        self, parent_id: str, body: dict[str, Any], message_id: str | None
    ) -> dict[str, Any]:
        thread = self._new_thread(parent_id, body, message_id)
        await self._send("THREAD_CREATE", {**thread, "newly_created": True})
        return thread

    def _new_thread(self, parent_id: str, body: dict[str, Any], message_id: str | None) -> dict[str, Any]:
        thread_id = message_id or self.new_id()  # Discord gives a message's thread its id
        thread = {
            "id": thread_id,
            "type": 11,
            "guild_id": self.guild_of(parent_id),
            "parent_id": parent_id,
            "owner_id": self.bot["id"],
            "name": body["name"],
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": EPOCH,
                "locked": False,
            },
            "flags": 0,
        }
        self.channels[thread_id] = thread
        return thread

    def open_thread(self, parent_id: str, name: str) -> dict[str, Any]:
        """A thread in ``parent_id`` that another process opened earlier (no gateway event)."""
        return self._new_thread(parent_id, {"name": name}, None)

    def _followup(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        interaction_id = token.removeprefix("token-")
        channel_id, _ = self._interactions[interaction_id]
        return self._message(channel_id, self.bot, body, flags=body.get("flags", 0))

    async def _callback(self, interaction_id: str, body: dict[str, Any]) -> web.Response:
        sent_at = self._sent_at.get(interaction_id)
        if sent_at is None or self.now() - sent_at > ANSWER_SECONDS:
            return self._json({"message": "Unknown interaction", "code": 10062}, 404)
        if body.get("type") == 9:
            refused = self._invalid(modal_errors(body.get("data")))
        else:
            refused = self._invalid(message_errors(body.get("data") or {}, ["data"]))
        if refused is not None:
            return refused
        if any(c.interaction_id == interaction_id for c in self.callbacks):
            error = {"message": "Interaction has already been acknowledged.", "code": 40060}
            return self._json(error, 400)
        self.callbacks.append(
            Callback(interaction_id, body["type"], body.get("data") or {}, self.now())
        )
        channel_id, kind = self._interactions[interaction_id]
        answer: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": kind,
                "response_message_loading": body["type"] == 5,
                "response_message_ephemeral": bool((body.get("data") or {}).get("flags", 0) & 64),
            }
        }
        if body["type"] == 4:
            message = self._message(channel_id, self.bot, body.get("data") or {})
            answer["interaction"]["response_message_id"] = message["id"]
            answer["resource"] = {"type": 4, "message": message}
        return self._json(answer)

    # ---- what tests read ------------------------------------------------------------

    def acknowledged_in(self, interaction_id: str) -> float:
        """Seconds between sending an interaction and the bot's first callback."""
        first = next(c for c in self.callbacks if c.interaction_id == interaction_id)
        return first.at - self._sent_at[interaction_id]

    def callbacks_for(self, interaction_id: str) -> list[Callback]:
        return [c for c in self.callbacks if c.interaction_id == interaction_id]

    def calls_to(self, method: str, suffix: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.endswith(suffix)]

    def followups(self) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path.startswith("/webhooks/")]
