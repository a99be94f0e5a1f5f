"""Done-when of issue 18: an OAuth integration written outside Deputy, in a folder of its own
(tests/support/throwaway_integration.py), connects end to end with no change in ``bot/``:
link → consent → callback → code exchange → tokens stored encrypted → an action runs with
the access token → refresh on expiry → disconnect revokes. Its settings come from
DEPUTY_ACME_… variables, read by the settings model the integration declares itself."""

from __future__ import annotations

import base64
import logging
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text

from bot.app import Deputy, assemble
from bot.domain import PlanDraft, Step
from bot.errors import SettingsError
from bot.policy import load_policy
from bot.registry import IntegrationEnv
from bot.settings import load_settings
from bot.startup import configured_integrations
from bot.store.database import Database
from bot.vault import CredentialStore, Keyring, generate_key
from bot.web_oauth import add_oauth_routes
from tests.core.conftest import NOW
from tests.core.doubles import ScriptedPlanner
from tests.fakes.oauth_server import FakeOAuthServer
from tests.support.chat import Chat
from tests.support.throwaway_integration import write_acme

_LINK = re.compile(r"http://127\.0\.0\.1:\d+/oauth/authorize\?\S+")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class AcmeApi:
    """``GET /me`` answering for the access tokens the OAuth server issued."""

    tokens: set[str]
    seen: list[str]
    url: str = ""

    async def me(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.seen.append(token)
        if token not in self.tokens:
            return web.json_response({"error": "invalid_token"}, status=401)
        return web.json_response({"name": "Alice at Acme"})


@dataclass
class World:
    deputy: Deputy
    chat: Chat
    oauth: FakeOAuthServer
    api: AcmeApi
    clock: Clock

    async def stored(self) -> dict[str, str] | None:
        assert self.deputy.vault is not None
        fields = await self.deputy.vault.get(self.chat.user.key, "acme")
        return None if fields is None else dict(fields)


async def _serve(app: web.Application, listener: socket.socket | None = None) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    if listener is None:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
    else:
        await web.SockSite(runner, listener).start()
    return runner


def _whoami() -> PlanDraft:
    return PlanDraft(summary="Who am I at Acme", steps=[Step(id="s1", action="acme.whoami", args={})])


@pytest.fixture
async def world(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                caplog: pytest.LogCaptureFixture) -> AsyncIterator[World]:
    write_acme(tmp_path / "plugins" / "acme")
    api = AcmeApi(tokens=set(), seen=[])
    oauth = FakeOAuthServer(on_access_token=api.tokens.add)
    await oauth.start()
    api_app = web.Application()
    api_app.router.add_get("/me", api.me)
    api_runner = await _serve(api_app)
    api.url = f"http://127.0.0.1:{api_runner.addresses[0][1]}"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    public_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    # the integration's settings, under the names its settings.py declares
    for name, value in {"DEPUTY_ACME_API_URL": api.url, "DEPUTY_ACME_CLIENT_ID": oauth.client_id,
                        "DEPUTY_ACME_CLIENT_SECRET": oauth.client_secret,
                        "DEPUTY_ACME_AUTH_URL": oauth.auth_url,
                        "DEPUTY_ACME_TOKEN_URL": oauth.token_url}.items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.DEBUG)
    settings = load_settings(home=tmp_path / "home", integrations=["acme"],
                             integration_paths=[tmp_path / "plugins"], public_url=public_url,
                             retry_base_seconds=0.01, retry_max_seconds=0.05, step_timeout_seconds=5)
    clock = Clock()
    registry = configured_integrations(settings)
    registry.start(IntegrationEnv(settings=settings, database=database, clock=clock))
    deputy = assemble(settings, database, registry, load_policy(settings.resolved_policy_file),
                    ScriptedPlanner(*[_whoami() for _ in range(4)]), clock=clock,
                    vault=CredentialStore(database, Keyring([generate_key("k1")])))
    web_app = web.Application()
    add_oauth_routes(web_app, deputy)
    runner = await _serve(web_app, listener)
    try:
        yield World(deputy, Chat(deputy, user="Alice"), oauth, api, clock)
    finally:
        await runner.cleanup()
        await api_runner.cleanup()
        await oauth.stop()


async def _raw_rows(database: Database) -> str:
    async with database.engine.connect() as conn:
        rows = [repr(tuple(row)) for table in ("credentials", "oauth_states")
                for row in (await conn.execute(text(f"SELECT * FROM {table}"))).all()]
    return "\n".join(rows)


async def test_a_third_party_oauth_integration_connects_end_to_end(
        world: World, database: Database, caplog: pytest.LogCaptureFixture) -> None:
    assert "not a Deputy setting" not in caplog.text  # DEPUTY_ACME_… are known settings

    # connect: a one-time link to Acme's consent screen, with what the manifest declares
    out = await world.chat.say("connect acme")
    assert "signing in to Acme" in out
    match = _LINK.search(out)
    assert match is not None, out
    query = parse_qs(urlsplit(match.group(0)).query)
    assert query["scope"] == ["profile.read offline"] and query["access_type"] == ["offline"]
    assert query["code_challenge_method"] == ["S256"] and query["redirect_uri"][0].endswith("/oauth/callback")

    # consent, then the browser comes back to Deputy's callback with a code
    async with aiohttp.ClientSession() as browser:
        async with browser.get(match.group(0), allow_redirects=False) as consent:
            callback = consent.headers["Location"]
        async with browser.get(callback) as page:
            assert page.status == 200 and "acme is connected" in await page.text()
    (exchange,) = world.oauth.token_requests
    assert exchange["grant_type"] == "authorization_code" and exchange["code_verifier"]
    assert "client_secret" not in exchange and world.oauth.client_auth_seen == ["basic"]

    # the tokens are in the vault, encrypted
    stored = await world.stored()
    assert stored is not None and stored["auth"] == "oauth2"
    raw = await _raw_rows(database)
    for secret in (stored["access_token"], stored["refresh_token"], world.oauth.client_secret):
        assert secret not in raw and secret not in world.chat.transcript

    # an action runs with the access token
    assert "Done" in await world.chat.say("who am I at acme")
    assert world.api.seen == [stored["access_token"]]

    # near expiry, the token is refreshed before the call
    world.clock.now = NOW + timedelta(seconds=1800 - 60)
    assert "Done" in await world.chat.say("who am I at acme")
    assert [r["grant_type"] for r in world.oauth.token_requests] == ["authorization_code", "refresh_token"]
    renewed = await world.stored()
    assert renewed is not None and renewed["access_token"] != stored["access_token"]
    assert world.api.seen[-1] == renewed["access_token"]

    # disconnect revokes the refresh token at Acme (RFC 7009) and deletes the credential
    out = await world.chat.say("disconnect acme")
    assert "Disconnected acme" in out and "Acme revoked" in out, out
    assert world.oauth.revoked == [stored["refresh_token"]]
    assert await world.stored() is None
    for secret in (stored["access_token"], stored["refresh_token"], world.oauth.client_secret,
                   base64.b64encode(f"{world.oauth.client_id}:{world.oauth.client_secret}".encode()).decode()):
        assert secret not in caplog.text


def test_an_oauth_client_id_without_its_secret_stops_start_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_acme(tmp_path / "plugins" / "acme")
    monkeypatch.setenv("DEPUTY_ACME_CLIENT_ID", "client-1")
    settings = load_settings(home=tmp_path / "home", integrations=["acme"],
                             integration_paths=[tmp_path / "plugins"], public_url="https://d.example")
    with pytest.raises(SettingsError, match="DEPUTY_ACME_CLIENT_SECRET: required when DEPUTY_ACME_CLIENT_ID is set"):
        configured_integrations(settings)


def test_a_misspelt_integration_setting_names_the_nearest_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_acme(tmp_path / "plugins" / "acme")
    monkeypatch.setenv("DEPUTY_ACME_CLIENT_IDD", "client-1")
    with pytest.raises(SettingsError, match="did you mean DEPUTY_ACME_CLIENT_ID"):
        load_settings(integration_paths=[tmp_path / "plugins"])


