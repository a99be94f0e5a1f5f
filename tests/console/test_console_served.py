"""The console on `deputy serve` itself, a process of its own configured only through the
environment: `deputy console` prints a link that signs in once, and a run's live page
streams through the front door (which writes the stream on its own loop and reads the run
on the core's)."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from bot.console.signin import local_person
from bot.store.database import Database
from tests.console import held
from tests.console.signin_support import round_trip
from tests.fakes import discord_oauth
from tests.fakes.discord_server import FakeDiscord
from tests.support.deputy_process import clean_environ, deputy_once, deputy_serve


async def console_link(home: Path, url: str, who: str) -> str:
    said = await deputy_once("console", "--as", who, "--url", url, env={**clean_environ(), "DEPUTY_HOME": str(home)})
    return said.strip().splitlines()[-1]


async def event(response: aiohttp.ClientResponse) -> tuple[str, dict[str, object]]:
    """The next server-sent event (name, data). A stream that ends first fails the test: at
    its end readline returns b"" at once, without yielding to the event loop, so a loop that
    kept reading would spin for ever, the client's own timeout never firing."""
    name, data = "", ""
    while True:
        line = (await response.content.readline()).decode()
        if line == "" and response.content.at_eof():
            raise AssertionError(f"the event stream ended before an event (read so far: {name!r})")
        if line.startswith("event: "):
            name = line[7:].strip()
        elif line.startswith("data: "):
            data = line[6:].strip()
        elif line in ("\n", "") and name:
            return name, json.loads(data)


async def test_sign_in_with_a_printed_link_and_follow_a_run_live(tmp_path: Path) -> None:
    home = tmp_path / "home"
    async with deputy_serve(home, {}) as served:
        link = await console_link(home, served.url, "alice")
        assert link.startswith(served.url + "/console/signin?token=")
        token = link.rsplit("token=", 1)[1]
        database = Database(f"sqlite:///{home / 'deputy.db'}")
        try:
            run_id, _ = await held.held_run(database, local_person("alice"))
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                async with http.post(served.url + "/console/signin", data={"token": token}) as response:
                    assert response.status == 200 and "Waiting for you" in await response.text()
                async with http.post(served.url + "/console/signin", data={"token": token}) as again:
                    assert again.status == 400  # once only
                async with http.get(f"{served.url}/console/run-events?run={run_id}",
                                    timeout=aiohttp.ClientTimeout(total=60)) as stream:
                    assert stream.headers["Content-Type"] == "text/event-stream"
                    name, data = await event(stream)
                    assert name == "progress" and data["status"] == "running"
                    assert "deputy-run" not in str(data["html"])  # no step has started
                    await held.step(database, run_id, "s1", "local.list_invoices", {"count": 3, "invoices": []})
                    name, data = await event(stream)
                    assert data["status"] == "running" and f"deputy-run{run_id}-s1" in str(data["html"])
                    await held.step(database, run_id, "s2", "local.list_clients", {"count": 1, "clients": []})
                    await held.finish(database, run_id)
                    statuses = []
                    while (found := await event(stream))[0] != "finished":
                        statuses.append(found[1]["status"])
                    assert statuses[-1] == "succeeded"
        finally:
            await database.dispose()
        assert await served.stop() == 0
        assert token not in await served.output(), "the sign-in token is not logged"


async def test_sign_in_with_discord_on_deputy_serve(tmp_path: Path) -> None:
    """`deputy serve` configured only through the environment offers Sign in with Discord
    (the fake Discord's gateway, REST and OAuth2), and its output holds no code or secret."""
    fake = FakeDiscord()
    await fake.start()
    try:
        env = {"DISCORD_TOKEN": fake.token, "DEPUTY_DISCORD_API_URL": fake.api_url,
               "DEPUTY_DISCORD_GATEWAY_URL": fake.gateway_url, "DISCORD_CLIENT_ID": discord_oauth.CLIENT_ID,
               "DISCORD_CLIENT_SECRET": discord_oauth.CLIENT_SECRET,
               "DEPUTY_DISCORD_AUTHORIZE_URL": fake.authorize_url,
               "DEPUTY_DISCORD_ROLE_GROUPS": json.dumps(fake.roles), "DEPUTY_LOG_LEVEL": "DEBUG"}
        async with deputy_serve(tmp_path / "home", env) as served:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                async with http.get(served.url + "/console/signin") as page:
                    assert "Sign in with Discord" in await page.text()
                status, page, callback = await round_trip(http, served.url, "discord")
                assert status == 303, page
                async with http.get(served.url + "/console/waiting") as waiting:
                    assert waiting.status == 200 and "Alice · discord" in await waiting.text()
            assert await served.stop() == 0
            output = await served.output()
        code = callback.split("code=")[1].split("&")[0]
        assert [*fake.oauth.tokens][0] not in output and code not in output
        assert discord_oauth.CLIENT_SECRET not in output
    finally:
        await fake.stop()
