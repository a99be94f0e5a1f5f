"""Connecting HubSpot with OAuth 2 (code + PKCE): a one-time link, the real callback route,
tokens in the vault, refresh before expiry, reconnect when a refresh fails, revoke on
disconnect. Against a fake HubSpot OAuth server and the fake HubSpot CRM on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import text
from sqlmodel import select

from bot.app import Deputy, assemble
from bot.domain import PlanDraft, Step
from bot.policy import load_policy
from bot.registry import IntegrationEnv, discover
from bot.settings import Settings
from bot.store.database import Database
from bot.store.oauth_states import OAuthStateRow
from bot.vault import CredentialStore, Keyring, generate_key
from bot.vault.oauth import OAuthRefused, exchange_code, pkce_pair, provider_for
from bot.web_oauth import add_oauth_routes
from tests.core.conftest import NOW
from tests.core.doubles import ScriptedPlanner
from tests.fakes.hubspot_api import FakeHubSpot
from tests.fakes.oauth_server import FakeOAuthServer
from tests.support.chat import Chat

_LINK = re.compile(r"http://127\.0\.0\.1:\d+/oauth/authorize\?\S+")


def oauth_settings(**values: Any) -> Settings:
    """Deputy's settings plus the crm integration's own (integrations/crm/settings.py)."""
    return Settings(**values)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Page:
    status_code: int
    text: str
    headers: dict[str, str]


@dataclass
class World:
    deputy: Deputy
    chat: Chat
    oauth: FakeOAuthServer
    hubspot: FakeHubSpot
    clock: Clock
    public_url: str

    async def connect_link(self) -> str:
        out = await self.chat.say("connect crm")
        match = _LINK.search(out)
        assert match is not None, out
        return match.group(0)

    async def consent(self, link: str) -> str:
        """What the browser does: open the link, get sent back with a code; the callback URL."""
        async with aiohttp.ClientSession() as browser, browser.get(
                link, allow_redirects=False) as answer:
            assert answer.status == 302
            location = answer.headers["Location"]
        assert location.startswith(self.public_url + "/oauth/callback?")
        return location

    async def open(self, url: str) -> Page:
        # aiohttp, not httpx: httpx logs every URL at INFO, which would put the callback's
        # query into the logs the secrets test reads, from the test's own "browser"
        async with aiohttp.ClientSession() as browser, browser.get(url) as answer:
            return Page(answer.status, await answer.text(), dict(answer.headers))

    async def connect(self) -> Page:
        return await self.open(await self.consent(await self.connect_link()))

    async def find_ana(self) -> str:
        """A read-only plan that needs the CRM: the policy lets it run without approval."""
        return await self.chat.say("find Ana")

    async def stored(self) -> dict[str, str] | None:
        assert self.deputy.vault is not None
        fields = await self.deputy.vault.get(self.chat.user.key, "crm")
        return None if fields is None else dict(fields)


def _search_plan() -> PlanDraft:
    return PlanDraft(summary="Find Ana in the CRM", steps=[
        Step(id="s1", action="crm.search_contacts", args={"query": "Ana"})])


@pytest.fixture
async def world(database: Database, tmp_path: Path) -> AsyncIterator[World]:
    hubspot = FakeHubSpot(tokens=set())
    await hubspot.start()
    hubspot.add("contacts", firstname="Ana", lastname="Lima", email="ana@example.com")
    oauth = FakeOAuthServer(on_access_token=hubspot.tokens.add)
    await oauth.start()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    public_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    settings = oauth_settings(
        home=tmp_path / "home", integrations=["crm"], hubspot_api_url=hubspot.url,
        retry_base_seconds=0.01, retry_max_seconds=0.05, step_timeout_seconds=5,
        public_url=public_url, hubspot_client_id=oauth.client_id,
        hubspot_client_secret=SecretStr(oauth.client_secret),
        hubspot_auth_url=oauth.auth_url, hubspot_token_url=oauth.token_url)
    clock = Clock()
    registry = discover(["crm"])
    registry.start(IntegrationEnv(settings=settings, database=database, clock=clock))
    deputy = assemble(settings, database, registry, load_policy(settings.resolved_policy_file),
                    ScriptedPlanner(*[_search_plan() for _ in range(4)]), clock=clock,
                    vault=CredentialStore(database, Keyring([generate_key("k1")])))
    web_app = web.Application()
    add_oauth_routes(web_app, deputy)
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.SockSite(runner, listener).start()
    try:
        yield World(deputy, Chat(deputy, user="Alice"), oauth, hubspot, clock, public_url)
    finally:
        await runner.cleanup()
        await oauth.stop()
        await hubspot.stop()
        crm = registry.get("crm")
        assert crm is not None
        await crm.client.aclose()


async def _raw_rows(database: Database) -> str:
    """Every stored byte of the credential and pending-sign-in tables, as text."""
    dump = []
    async with database.engine.connect() as conn:
        for table in ("credentials", "oauth_states"):
            for row in (await conn.execute(text(f"SELECT * FROM {table}"))).all():
                dump.append(repr(tuple(row)))
    return "\n".join(dump)


async def test_connect_gives_a_one_time_pkce_link_and_the_callback_stores_encrypted_tokens(
        world: World, database: Database, database_url: str) -> None:
    link = await world.connect_link()
    query = parse_qs(urlsplit(link).query)
    assert query["client_id"] == [world.oauth.client_id]
    assert query["redirect_uri"] == [world.public_url + "/oauth/callback"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32
    assert "crm.objects.contacts.write" in query["scope"][0].split()
    assert "for you only" in world.chat.transcript and "expires in 10 minutes" in world.chat.transcript

    answer = await world.open(await world.consent(link))
    assert answer.status_code == 200 and "crm is connected" in answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Connected crm" in world.chat.transcript  # told in chat too, privately
    stored = await world.stored()
    assert stored is not None and stored["auth"] == "oauth2"
    access, refresh = stored["access_token"], stored["refresh_token"]
    assert int(stored["expires_at"]) == int((NOW + timedelta(seconds=1800)).timestamp())
    (exchange,) = world.oauth.token_requests
    assert exchange["grant_type"] == "authorization_code" and exchange["code_verifier"]

    raw = await _raw_rows(database)
    for secret in (access, refresh, world.oauth.client_secret, exchange["code_verifier"]):
        assert secret not in raw and secret not in world.chat.transcript and secret not in answer.text
    if database_url.startswith("sqlite"):
        file_bytes = await asyncio.to_thread(Path(database_url.removeprefix("sqlite:///")).read_bytes)
        assert access.encode() not in file_bytes and refresh.encode() not in file_bytes

    # and a plan that needs the CRM runs with that access token
    out = await world.find_ana()
    assert "Done" in out, out
    assert "crm (since" in await world.chat.say("connections")


async def test_a_forged_state_is_refused_and_stores_nothing(world: World) -> None:
    callback = await world.consent(await world.connect_link())
    code = parse_qs(urlsplit(callback).query)["code"][0]
    forged = f"{world.public_url}/oauth/callback?code={code}&state=forged-by-mallory"
    answer = await world.open(forged)
    assert answer.status_code == 400 and "not valid" in answer.text
    assert await world.stored() is None
    assert world.oauth.token_requests == []  # the code was never even exchanged
    assert "Connected crm" not in world.chat.transcript


async def test_a_replayed_callback_is_refused(world: World) -> None:
    callback = await world.consent(await world.connect_link())
    assert (await world.open(callback)).status_code == 200
    first = await world.stored()
    again = await world.open(callback)
    assert again.status_code == 400
    assert await world.stored() == first
    assert len(world.oauth.token_requests) == 1


async def test_a_declined_consent_stores_nothing_and_says_so(world: World) -> None:
    link = await world.connect_link()
    state = parse_qs(urlsplit(link).query)["state"][0]
    # what HubSpot sends back when the person clicks "Cancel"
    answer = await world.open(f"{world.public_url}/oauth/callback?error=access_denied&state={state}")
    assert answer.status_code == 400 and "declined" in answer.text
    assert "crm was not connected" in world.chat.transcript
    assert await world.stored() is None and world.oauth.token_requests == []


async def test_a_link_older_than_ten_minutes_is_refused(world: World) -> None:
    callback = await world.consent(await world.connect_link())
    world.clock.now = NOW + timedelta(minutes=11)
    assert (await world.open(callback)).status_code == 400
    assert await world.stored() is None


async def test_the_token_endpoint_checks_the_pkce_verifier(world: World) -> None:
    callback = await world.consent(await world.connect_link())
    code = parse_qs(urlsplit(callback).query)["code"][0]
    crm = world.deputy.registry.get("crm")
    assert crm is not None
    provider = provider_for(world.deputy.settings, "crm", crm.manifest.oauth, crm.settings)
    assert provider is not None
    # someone who caught the code but not the verifier gets nothing, and burns the code
    _, wrong = pkce_pair()
    with pytest.raises(OAuthRefused, match="BAD_CODE_VERIFIER"):
        await exchange_code(provider, code, wrong, NOW)
    answer = await world.open(callback)
    assert answer.status_code == 400 and "BAD_AUTH_CODE" in answer.text
    assert await world.stored() is None
    assert "crm was not connected" in world.chat.transcript


async def test_an_altered_pending_sign_in_is_refused(world: World, database: Database) -> None:
    callback = await world.consent(await world.connect_link())
    async with database.session(all_teams=True) as session:
        (row,) = (await session.exec(select(OAuthStateRow))).all()
        row.sealed_verifier = row.sealed_verifier[:-1] + bytes([row.sealed_verifier[-1] ^ 1])
    answer = await world.open(callback)
    assert answer.status_code == 400 and "altered" in answer.text
    assert await world.stored() is None and world.oauth.token_requests == []


async def test_an_expiring_access_token_is_refreshed_before_the_call(world: World) -> None:
    assert (await world.connect()).status_code == 200
    before = await world.stored()
    assert before is not None
    world.hubspot.tokens.discard(before["access_token"])  # HubSpot forgets expired tokens
    world.clock.now = NOW + timedelta(seconds=1800 - 60)  # one minute left: inside the margin
    out = await world.find_ana()
    assert "Done" in out, out
    grants = [r["grant_type"] for r in world.oauth.token_requests]
    assert grants == ["authorization_code", "refresh_token"]
    after = await world.stored()
    assert after is not None and after["access_token"] != before["access_token"]
    assert after["refresh_token"] == before["refresh_token"]
    assert int(after["expires_at"]) > int(before["expires_at"])


async def test_a_failed_refresh_fails_the_step_and_asks_to_reconnect(world: World) -> None:
    assert (await world.connect()).status_code == 200
    world.oauth.refuse_refresh = True
    world.clock.now = NOW + timedelta(hours=2)
    out = await world.find_ana()
    assert "could not be renewed" in out and "Reconnect it with `connect crm`" in out, out
    assert "Done" not in out


async def test_disconnect_revokes_the_refresh_token_and_deletes(world: World) -> None:
    assert (await world.connect()).status_code == 200
    stored = await world.stored()
    assert stored is not None
    out = await world.chat.say("disconnect crm")
    assert "Disconnected crm" in out and "HubSpot revoked" in out
    assert world.oauth.revoked == [stored["refresh_token"]]
    assert await world.stored() is None


async def test_no_secret_reaches_the_logs(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    link = await world.connect_link()
    state = parse_qs(urlsplit(link).query)["state"][0]
    assert (await world.open(await world.consent(link))).status_code == 200
    world.clock.now = NOW + timedelta(hours=1)
    await world.find_ana()
    stored = await world.stored()
    assert stored is not None
    await world.chat.say("disconnect crm")
    secrets = [state, world.oauth.client_secret, stored["access_token"], stored["refresh_token"],
               *(r.get("code_verifier", "") for r in world.oauth.token_requests),
               *world.oauth.refresh_tokens, *world.oauth.revoked]
    logged = caplog.text
    assert "refreshed the crm token" in logged  # the path under test did log
    for secret in filter(None, secrets):
        assert secret not in logged


async def test_without_a_client_id_connect_keeps_the_private_app_token_form(
        database: Database, tmp_path: Path) -> None:
    settings = oauth_settings(home=tmp_path / "home", integrations=["crm"])
    registry = discover(["crm"])
    registry.start(IntegrationEnv(settings=settings, database=database, clock=Clock()))
    deputy = assemble(settings, database, registry, load_policy(settings.resolved_policy_file),
                    ScriptedPlanner(), vault=CredentialStore(database, Keyring([generate_key("k1")])))
    asked: list[str] = []

    async def ask(label: str, secret: bool) -> str | None:
        asked.append(label)
        return None

    chat = Chat(deputy, user="Alice")
    from bot.adapters.shell.session import ShellSession

    chat.session = ShellSession(deputy, chat.port, chat.user, ask)
    out = await chat.say("connect crm")
    assert asked == ["HubSpot private app access token: "]
    assert "/oauth/authorize" not in out
