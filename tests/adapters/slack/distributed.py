"""The distributed Slack app behind Deputy's HTTP door: "Add to Slack" against the fake
Slack's authorize page and ``oauth.v2.access``, the real core with a worker, and requests
signed as Slack signs them for any installed workspace."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
from aiohttp import web
from sqlalchemy import select
from sqlmodel import SQLModel

from bot.adapters.slack.app import SlackAdapter
from bot.adapters.slack.distribution import build_distribution
from bot.adapters.slack.http import create_http_app
from bot.adapters.slack.settings import SlackSettings
from bot.app import Deputy, dispatcher
from bot.execution.worker import Worker
from bot.flow.team_removal import installed, team_removed
from tests.adapters.slack import wire
from tests.adapters.slack.live import Card, buttons_of, eventually
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.fakes.slack_oauth import CLIENT_ID, CLIENT_SECRET

# two workspaces, each with its own channel
ACME, GLOBEX = "T0ACME", "T0GLOBEX"
CHANNELS = {ACME: "C0ACME", GLOBEX: "C0GLOBEX"}


def distributed_settings(api: FakeSlackApi, public_url: str = "", **overrides: Any) -> SlackSettings:
    return SlackSettings.model_validate({
        "signing_secret": wire.SECRET, "api_url": api.base_url, "post_interval_seconds": 0,
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "authorize_url": api.authorize_url,
        "public_url": public_url, **overrides})


@dataclass
class Installed:
    app: Deputy
    adapter: SlackAdapter
    api: FakeSlackApi
    url: str
    session: aiohttp.ClientSession

    # -- "Add to Slack", as a browser does it -----------------------------------------------

    async def start(self) -> tuple[str, str]:
        """GET /slack/install: where it sends the browser, and the state cookie it sets."""
        async with self.session.get(self.url + "/slack/install", allow_redirects=False) as start:
            assert start.status == 302, await start.text()
            cookie = start.cookies["slack-app-oauth-state"]
            # bolt marks it Secure (deputy serve is behind https): this client would drop it
            assert cookie["secure"] and cookie["httponly"]
            return start.headers["Location"], cookie.value

    async def allow(self, authorize: str, team: str) -> str:
        """An admin of ``team`` clicks "Allow" on Slack's page: the callback URL."""
        self.api.oauth.approving = team
        async with self.session.get(authorize, allow_redirects=False) as approved:
            assert approved.status == 302, await approved.text()
            return approved.headers["Location"]

    async def install(self, team: str) -> tuple[int, str]:
        """GET /slack/install, "Allow" on the fake Slack, back to /slack/oauth_redirect."""
        authorize, cookie = await self.start()
        return await self.get(await self.allow(authorize, team), cookie)

    async def get(self, url: str, cookie: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": f"slack-app-oauth-state={cookie}"} if cookie else {}
        async with self.session.get(url, allow_redirects=False, headers=headers) as response:
            return response.status, await response.text()

    # -- requests from a workspace ----------------------------------------------------------

    async def send(self, body: str, content_type: str) -> int:
        async with self.session.post(self.url + "/slack/events", data=body.encode(),
                                     headers={"Content-Type": content_type, **wire.sign(body)}) as response:
            await response.read()
            return response.status

    async def slash(self, team: str, text: str, *, user: str = "U0ANNA") -> int:
        fields = dict(parse_qsl(wire.slash_command(text, user=user, channel=CHANNELS[team],
                                                   trigger=self.api.trigger_id(),
                                                   response_url=self.api.response_url)))
        fields["team_id"] = team
        return await self.send(urlencode(fields), wire.FORM)

    async def click(self, card: Card, action: str, *, team: str, user: str,
                    user_team: str | None = None) -> int:
        payload = wire.block_actions(str(card.buttons[action]), value=card.values[action], user=user,
                                     thread_ts=card.thread_ts, message_ts=card.ts, trigger=self.api.trigger_id())
        payload["user"]["team_id"] = user_team or team
        payload["team"] = {"id": team, "domain": team.lower()}
        payload["container"]["channel_id"] = payload["channel"]["id"] = str(card.call.params["channel"])
        payload["response_url"] = self.api.response_url
        return await self.send(wire.interactive(payload), wire.FORM)

    async def event(self, team: str, event: dict[str, Any], event_id: str, *,
                    enterprise: str | None = None, org: bool = False) -> int:
        body = json.loads(wire.event_callback(event, event_id))
        body["team_id"] = team
        body["enterprise_id"] = enterprise
        body["authorizations"][0].update(team_id=team, enterprise_id=enterprise, is_enterprise_install=org)
        body["is_enterprise_install"] = org
        return await self.send(json.dumps(body), wire.JSON)

    # -- what Slack saw ----------------------------------------------------------------------

    def posts_in(self, team: str) -> list[Call]:
        return [c for c in self.api.calls if c.method in ("chat.postMessage", "chat.update", "chat.postEphemeral")
                and c.params.get("channel") == CHANNELS[team]]

    def cards_in(self, team: str) -> list[Card]:
        posted = [c for c in self.api.calls if c.method in ("chat.postMessage", "chat.postEphemeral")]
        found = []
        for n, call in enumerate(posted, start=1):
            buttons, values = buttons_of(call.params.get("blocks") or [])
            if (call.method == "chat.postMessage" and call.params.get("thread_ts") and buttons
                    and call.params.get("channel") == CHANNELS[team]):
                found.append(Card(call, f"{1_760_000_000 + n}.{n:06d}", buttons, values))
        return found

    async def card(self, team: str, count: int = 1) -> Card:
        await eventually(lambda: len(self.cards_in(team)) >= count, 15, f"{count} card(s) in {team}")
        return self.cards_in(team)[-1]

    async def ephemeral(self, user: str, count: int = 1) -> Call:
        def mine() -> list[Call]:
            return [c for c in self.api.of("chat.postEphemeral") if c.params.get("user") == user]
        await eventually(lambda: len(mine()) >= count, 15, f"an ephemeral message to {user}")
        return mine()[-1]

    async def done(self, card: Card) -> None:
        """Wait for the run's result in the card's thread."""
        def finished() -> bool:
            return any(str(c.params.get("text", "")).startswith(("Done", "Failed")) for c in self.api.of("chat.postMessage")
                       if c.params.get("thread_ts") == card.thread_ts)
        await eventually(finished, 15, "the run's result")

    async def settle(self) -> None:
        await self.adapter.drain()
        await Worker(self.app, "settle").drain()


def workspaces(api: FakeSlackApi) -> None:
    """Acme and Globex, each with its channel, which the other's bot does not see."""
    for team, name in ((ACME, "Acme"), (GLOBEX, "Globex")):
        api.oauth.add(team, name)
        api.channel(CHANNELS[team], team)


@contextlib.asynccontextmanager
async def installed_slack(app: Deputy, api: FakeSlackApi, **overrides: Any) -> AsyncIterator[Installed]:
    """Deputy as the distributed app on 127.0.0.1 (its public URL), with a worker."""
    runner_app = web.Application()
    runner = web.AppRunner(runner_app, access_log=None)
    sock_port = _free_port()
    url = f"http://127.0.0.1:{sock_port}"
    settings = distributed_settings(api, url, **overrides)

    async def removed(teams: list[str], enterprise: str | None, why: str) -> None:
        await team_removed(app, "slack", teams, why, enterprise_id=enterprise)

    async def added(installation: Any) -> None:
        await installed(app, "slack", installation.team_id or installation.enterprise_id,
                        enterprise=bool(installation.is_enterprise_install), name=installation.team_name or "")

    distribution = build_distribution(settings, app.database, app.vault, on_removed=removed, on_installed=added)
    adapter = SlackAdapter(settings, dispatcher(app), default_timezone="Europe/London", distribution=distribution)
    app.attach(adapter.port)
    create_http_app(adapter, runner_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", sock_port).start()
    worker = asyncio.create_task(Worker(app, "e2e").run_forever(), name="e2e-worker")
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
            yield Installed(app, adapter, api, url, session)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        await adapter.aclose(grace=2)
        await runner.cleanup()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def everything_stored(app: Deputy) -> str:
    """Every row of every table, as text: what someone reading the database would see."""
    parts: list[str] = []
    async with app.database.session(all_teams=True) as session:
        for table in SQLModel.metadata.sorted_tables:
            rows = (await session.exec(select(table))).all()
            parts.extend(repr(tuple(row)) for row in rows)
    return "\n".join(parts)


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))
