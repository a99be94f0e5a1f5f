"""Sign in with Slack (OpenID Connect) and with Discord (OAuth2) over HTTP as a browser
speaks it, against the fake Slack and the fake Discord: the person becomes the actor chat
knows (team, groups), a decision is the chat decision, and every forged, replayed or
misdirected step is refused. The Chromium round trip is in test_console_browser.py."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.adapters.slack.console_signin import slack_signin
from bot.adapters.slack.settings import SlackSettings
from bot.app import Deputy
from bot.console.identity import Started
from bot.domain import Actor
from bot.errors import UserError
from bot.store import teams
from bot.store.tables import ApprovalRow
from bot.web_oauth import _ACCESS_LOG_FILTER
from tests.adapters.slack.distributed import ACME, GLOBEX, Installed, installed_slack, workspaces
from tests.adapters.slack.live import count, eventually, text_of
from tests.console.conftest import GOAL, console_with
from tests.console.signin_support import discord_provider, round_trip, slack_provider
from tests.console.test_console import cookie_of, csrf_of, get, post
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_api import BOT_TOKEN, TEAM, FakeSlackApi
from tests.fakes.slack_oauth import CLIENT_ID, CLIENT_SECRET
from tests.support.policies import finance_approves_writes


@pytest.fixture
async def slack(app: Deputy, slack_api: FakeSlackApi) -> AsyncIterator[Installed]:
    """Deputy as the distributed app, installed in Acme (Globex has not installed it)."""
    workspaces(slack_api)
    async with installed_slack(app, slack_api) as running:
        status, _ = await running.install(ACME)
        assert status == 200
        yield running


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.stop()


async def test_sign_in_with_slack_then_approve_and_the_chat_card_updates(
        app: Deputy, slack: Installed, slack_api: FakeSlackApi, http: aiohttp.ClientSession) -> None:
    assert await slack.slash(ACME, GOAL, user="U0ANNA") == 200
    card = await slack.card(ACME)
    await slack.settle()
    async with aiohttp.ClientSession() as outbound, console_with(app, [slack_provider(app, slack_api, outbound)]) as served:
        status, page = await get(http, served.url + "/console/signin")
        assert "Sign in with Slack" in page
        slack_api.oauth.signing_in = (ACME, "U0ANNA")
        slack_api.usergroups = [{"id": "S0FIN", "handle": "finance", "name": "Finance", "users": ["U0ANNA"]},
                                {"id": "S0OPS", "handle": "ops", "name": "Ops", "users": ["U0BOSS"]}]
        status, page, _ = await round_trip(http, served.url, "slack")
        assert status == 303, page
        session = served.console.sessions.read(cookie_of(http), app.clock())
        # her Slack user groups, read as chat reads them (usergroups.list with Acme's bot token)
        assert session is not None and session.actor.groups == frozenset({"finance"})
        status, page = await get(http, served.url + "/console/waiting")
        # the same person chat knows: Anna of Acme (users.info's display name), her plan waiting
        assert status == 200 and f"anna.b · slack {ACME}" in page and GOAL in page and "Approve version 1" in page
        status, _ = await post(http, served.url + "/console/plans/1/decide",
                               {"csrf": csrf_of(page), "version": "1", "decision": "approve"})
        assert status == 303

        def updates() -> list[str]:
            return [text_of(c.params["blocks"]) for c in slack_api.of("chat.update") if c.params.get("ts") == card.ts]
        await eventually(lambda: any("approvals 1/1" in u for u in updates()), 20, "the chat card to update")
    [call] = slack_api.of("openid.connect.token")
    assert call.answer is not None and call.answer["ok"] and call.params["grant_type"] == "authorization_code"
    assert "client_secret" not in call.params  # sent as HTTP Basic auth, as slack_sdk does


# approvals by Slack's Finance user group (read from Slack), the requester among them
FINANCE_GROUP = finance_approves_writes()


@pytest.mark.parametrize("policy", [FINANCE_GROUP], ids=["finance-group"])
async def test_a_person_removed_from_the_approver_group_after_sign_in_cannot_approve(
        app: Deputy, slack: Installed, slack_api: FakeSlackApi, http: aiohttp.ClientSession) -> None:
    assert await slack.slash(ACME, GOAL, user="U0ANNA") == 200
    await slack.card(ACME)
    await slack.settle()
    finance = {"id": "S0FIN", "handle": "finance", "name": "Finance", "users": ["U0ANNA"]}
    async with aiohttp.ClientSession() as outbound, console_with(app, [slack_provider(app, slack_api, outbound)]) as served:
        slack_api.oauth.signing_in = (ACME, "U0ANNA")
        slack_api.usergroups = [finance]
        status, page, _ = await round_trip(http, served.url, "slack")
        assert status == 303, page
        session = served.console.sessions.read(cookie_of(http), app.clock())
        assert session is not None and session.actor.groups == frozenset({"finance"})
        status, page = await get(http, served.url + "/console/plans/1")
        assert status == 200 and "Approve version 1" in page
        # an admin takes her out of Finance in Slack; her console session still says finance
        slack_api.usergroups = [{**finance, "users": ["U0BOSS"]}]
        status, page = await post(http, served.url + "/console/plans/1/decide",
                                  {"csrf": csrf_of(page), "version": "1", "decision": "approve"})
        assert status == 403 and "approve this plan: only members of @finance" in page, page
        assert await count(app, ApprovalRow) == 0
        # Slack asked at decision time, not answered from the sign-in's (or chat's) cache
        assert len(slack_api.of("usergroups.list")) >= 2
        # back in Finance, the same session approves
        slack_api.usergroups = [finance]
        status, _ = await post(http, served.url + "/console/plans/1/decide",
                               {"csrf": csrf_of(page), "version": "1", "decision": "approve"})
        assert status == 303
        assert await count(app, ApprovalRow) == 1
        # deactivated in Slack: refused before anything is decided
        slack_api.users["U0ANNA"] = {**slack_api.users["U0ANNA"], "deleted": True}
        status, page = await post(http, served.url + "/console/plans/1/decide",
                                  {"csrf": csrf_of(page), "version": "1", "decision": "reject"})
        assert status == 403 and "no longer counts you in this team" in page, page


async def test_a_forged_replayed_or_foreign_state_signs_nobody_in(
        app: Deputy, slack: Installed, slack_api: FakeSlackApi, http: aiohttp.ClientSession) -> None:
    async with aiohttp.ClientSession() as outbound, console_with(app, [slack_provider(app, slack_api, outbound)]) as served:
        slack_api.oauth.signing_in = (ACME, "U0ANNA")
        # a state this console never made, with a matching cookie: unknown
        http.cookie_jar.update_cookies({"deputy_console_state": "forged"})
        status, page = await get(http, served.url + "/console/signin/slack/callback?code=1.2.oidc&state=forged")
        assert status == 400 and "unknown, used or expired" in page
        # a callback URL carried to another browser (no state cookie there): refused, and the
        # state is not spent, so the browser that started it still can finish
        async with http.get(served.url + "/console/signin/slack", allow_redirects=False) as start:
            authorize = start.headers["Location"]
        async with http.get(authorize, allow_redirects=False) as allowed:
            callback = allowed.headers["Location"]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
            status, page = await get(other, callback)
            assert status == 400 and "not started in this browser" in page
            assert (await get(other, served.url + "/console/waiting"))[0] == 303  # still signed out
        status, _ = await get(http, callback)
        assert status == 303
        # replayed: the state was taken
        http.cookie_jar.update_cookies({"deputy_console_state": callback.split("state=")[1]})
        status, page = await get(http, callback)
        assert status == 400 and "unknown, used or expired" in page
    assert len(slack_api.of("openid.connect.token")) == 1  # the code was traded once


async def test_slack_refuses_what_slack_refuses(app: Deputy, slack: Installed, slack_api: FakeSlackApi,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # even at DEBUG (slack_sdk logs requests and answers there)
    slack_api.oauth.signing_in = (ACME, "U0ANNA")
    async with aiohttp.ClientSession() as outbound:
        provider = slack_provider(app, slack_api, outbound)

        async def code(nonce: str = "n-1", redirect: str = "http://127.0.0.1/cb") -> str:
            async with outbound.get(provider.authorize_url(redirect, "s", nonce, ""), allow_redirects=False) as allowed:
                assert allowed.status == 302
                return allowed.headers["Location"].split("code=")[1].split("&")[0]

        good = await code()
        [person] = await provider.people(good, "http://127.0.0.1/cb", "n-1", "")
        assert person.actor.key == f"slack:{ACME}:U0ANNA" and person.team_name == "Acme"
        for bad, why in ((lambda: provider.people(good, "http://127.0.0.1/cb", "n-1", ""), "code_already_used"),
                         (lambda: provider.people("9.9.oidc", "http://127.0.0.1/cb", "n-1", ""), "invalid_code")):
            with pytest.raises(UserError, match=why):
                await bad()
        with pytest.raises(UserError, match="bad_redirect_uri"):
            await provider.people(await code(), "http://127.0.0.1/elsewhere", "n-1", "")
        with pytest.raises(UserError, match="nonce is not this sign-in's"):
            await provider.people(await code(nonce="n-2"), "http://127.0.0.1/cb", "n-1", "")
        slack_api.oauth.id_token_changes = {"aud": "another-app"}
        with pytest.raises(UserError, match="issued to another app"):
            await provider.people(await code(), "http://127.0.0.1/cb", "n-1", "")
        slack_api.oauth.id_token_changes = {}
        wrong_secret = slack_provider(app, slack_api, outbound, client_secret="not-the-secret")
        with pytest.raises(UserError, match="bad_client_secret"):
            await wrong_secret.people(await code(), "http://127.0.0.1/cb", "n-1", "")
    # what was logged names Slack's error codes, never a code, a token or the secret
    issued = [*slack_api.oauth.oidc_codes, *slack_api.oauth.user_tokens, CLIENT_SECRET]
    assert "code_already_used" in caplog.text and not [s for s in issued if s in caplog.text]


async def test_a_workspace_without_deputy_or_turned_off_is_refused(
        app: Deputy, slack: Installed, slack_api: FakeSlackApi, http: aiohttp.ClientSession) -> None:
    async with aiohttp.ClientSession() as outbound, console_with(app, [slack_provider(app, slack_api, outbound)]) as served:
        slack_api.oauth.signing_in = (GLOBEX, "U0ANNA")
        status, page, _ = await round_trip(http, served.url, "slack")
        assert status == 403 and "not installed in your Slack workspace Globex" in page
        async with app.database.session(team=f"slack:{ACME}") as db:
            row, _ = await teams.ensure(db, f"slack:{ACME}")
            await teams.set_status(db, row, teams.TeamStatus.DISABLED)
        slack_api.oauth.signing_in = (ACME, "U0ANNA")
        status, page, _ = await round_trip(http, served.url, "slack")
        assert status == 403 and "turned off for this team" in page
        assert (await get(http, served.url + "/console/waiting"))[0] == 303


async def test_another_workspaces_person_signed_in_with_slack_gets_403_on_the_plan(
        app: Deputy, slack: Installed, slack_api: FakeSlackApi, http: aiohttp.ClientSession) -> None:
    assert await slack.slash(ACME, GOAL, user="U0ANNA") == 200
    await slack.card(ACME)
    await slack.settle()
    assert (await slack.install(GLOBEX))[0] == 200
    async with aiohttp.ClientSession() as outbound, console_with(app, [slack_provider(app, slack_api, outbound)]) as served:
        slack_api.oauth.signing_in = (GLOBEX, "U0ANNA")  # the same user id, in Globex
        assert (await round_trip(http, served.url, "slack"))[0] == 303
        status, page = await get(http, served.url + "/console/waiting")
        assert status == 200 and GOAL not in page
        status, page = await get(http, served.url + "/console/plans/1")
        assert status == 403 and GOAL not in page
        status, _ = await post(http, served.url + "/console/plans/1/decide",
                               {"csrf": csrf_of(page), "version": "1", "decision": "approve"})
        assert status == 403
    assert await count(app, ApprovalRow) == 0


async def test_sign_in_with_discord_maps_roles_to_groups(app: Deputy, discord: FakeDiscord,
                                                         http: aiohttp.ClientSession) -> None:
    async with aiohttp.ClientSession() as outbound, console_with(app, [discord_provider(discord, outbound)]) as served:
        async with http.get(served.url + "/console/signin/discord", allow_redirects=False) as start:
            authorize = start.headers["Location"]
        assert "code_challenge_method=S256" in authorize and "guilds.members.read" in authorize
        status, page, _ = await round_trip(http, served.url, "discord")
        assert status == 303, page
        status, page = await get(http, served.url + "/console/waiting")
        assert status == 200 and "Alice" in page
        session = served.console.sessions.read(cookie_of(http), app.clock())
        assert session is not None
        # the guild's member, with the group her role maps to, as chat would see her
        assert session.actor.key == f"discord:{discord.guild_id}:{discord.people['alice']['id']}"
        assert session.actor.groups == frozenset({"finance"}) and session.actor.admin  # the owner
        # the guild's own role map (`setup role`) replaces the deployment's, as in chat
        async with app.database.session(team=f"discord:{discord.guild_id}") as db:
            row, _ = await teams.ensure(db, f"discord:{discord.guild_id}")
            await teams.set_settings(db, row, {"role_groups": {"approvers": discord.roles["finance"]}})
        await round_trip(http, served.url, "discord")
        session = served.console.sessions.read(cookie_of(http), app.clock())
        assert session is not None and session.actor.groups == frozenset({"approvers"})
        provider = discord_provider(discord, outbound)
        async with outbound.get(provider.authorize_url("http://127.0.0.1/cb", "s", "", "c" * 43),
                                allow_redirects=False) as allowed:
            code = allowed.headers["Location"].split("code=")[1].split("&")[0]
        # the PKCE verifier must match the challenge the code was issued for
        with pytest.raises(UserError, match="invalid_request"):
            await provider.people(code, "http://127.0.0.1/cb", "", "v" * 43)


async def test_discord_reads_a_members_roles_again_for_a_decision(discord: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as outbound:
        provider = discord_provider(discord, outbound)
        alice = Actor(platform="discord", team_id=discord.guild_id, user_id=discord.people["alice"]["id"],
                      groups=frozenset({"finance"}))
        now = await provider.current(alice)
        assert now is not None and now.groups == frozenset({"finance"})
        discord.member_roles["alice"] = []  # a server admin took her Finance role away
        now = await provider.current(alice)
        assert now is not None and now.groups == frozenset() and now.key == alice.key


async def test_discord_refusals_and_picking_a_guild(app: Deputy, discord: FakeDiscord,
                                                    http: aiohttp.ClientSession) -> None:
    async with aiohttp.ClientSession() as outbound, console_with(app, [discord_provider(discord, outbound)]) as served:
        # a person in no guild of Deputy's
        discord.add_person("zed", [])
        del discord.member_roles["zed"]
        discord.oauth.elsewhere["zed"] = [("1300000000000000001", "Zed's place")]
        discord.oauth.approving = "zed"
        status, page, _ = await round_trip(http, served.url, "discord")
        assert status == 403 and "none of your Discord servers" in page
        # a wrong client secret is Discord's invalid_client
        wrong = discord_provider(discord, outbound, client_secret="nope")
        with pytest.raises(UserError, match="invalid_client"):
            await wrong.people("dc1", "http://127.0.0.1/cb", "", "v" * 43)
        # a code traded twice, or for another redirect URI, is invalid_grant; JSON is refused
        discord.oauth.approving = "alice"
        provider = discord_provider(discord, outbound)
        verifier = "v" * 43
        challenge = Started("s", "n", verifier).challenge

        async def code() -> str:
            async with outbound.get(provider.authorize_url("http://127.0.0.1/cb", "s", "", challenge),
                                    allow_redirects=False) as allowed:
                return allowed.headers["Location"].split("code=")[1].split("&")[0]
        used = await code()
        assert [m.team_name for m in await provider.people(used, "http://127.0.0.1/cb", "", verifier)] == ["Acme"]
        with pytest.raises(UserError, match="invalid_grant"):
            await provider.people(used, "http://127.0.0.1/cb", "", verifier)
        with pytest.raises(UserError, match="invalid_grant"):
            await provider.people(await code(), "http://127.0.0.1/elsewhere", "", verifier)
        async with outbound.post(discord.api_url + "/oauth2/token", json={"code": await code()}) as as_json:
            assert as_json.status == 400 and (await as_json.json())["error"] == "invalid_request"
        # alice is in two guilds with Deputy: she picks one
        other = discord.new_id()
        discord.guilds[other] = {"name": "Globex", "owner": "alice", "roles": {"finance": discord.new_id()},
                                 "member_roles": {"alice": []}}
        discord.oauth.approving = "alice"
        status, page, _ = await round_trip(http, served.url, "discord")
        assert status == 200 and "Sign in to Acme" in page and "Sign in to Globex" in page
        token = page.split('name="token" value="')[1].split('"')[0]
        # another browser posting this choice (a page of another site): refused, not spent
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as elsewhere:
            status, page = await post(elsewhere, served.url + "/console/signin/pick", {"token": token, "team": other})
            assert status == 400 and "not offered to this browser" in page
        status, _ = await post(http, served.url + "/console/signin/pick", {"token": token, "team": other})
        assert status == 303
        session = served.console.sessions.read(cookie_of(http), app.clock())
        assert session is not None and session.actor.team_id == other
        http.cookie_jar.update_cookies({"deputy_console_state": token})
        status, _ = await post(http, served.url + "/console/signin/pick", {"token": token, "team": other})
        assert status == 400  # a choice works once


@pytest.mark.parametrize("name", ["slack", "discord"])
def test_the_access_log_keeps_no_sign_in_code(name: str) -> None:
    line = f'127.0.0.1 "GET /console/signin/{name}/callback?code=1.234.oidc&state=abc HTTP/1.1" 303 -'
    record = logging.LogRecord("aiohttp.access", logging.INFO, __file__, 1, line, None, None)
    _ACCESS_LOG_FILTER.filter(record)
    assert "1.234.oidc" not in record.getMessage() and f"/console/signin/{name}/callback?…" in record.getMessage()


async def test_only_the_providers_registered_have_sign_in_pages(
        app: Deputy, slack_api: FakeSlackApi, discord: FakeDiscord, http: aiohttp.ClientSession) -> None:
    """The sign-in routes take the providers' names (bot/chat/signin.py): a name no adapter
    registered in this deployment is "no such sign-in", whatever platform it names."""
    async with aiohttp.ClientSession() as outbound:
        for offered, provider in (("slack", slack_provider(app, slack_api, outbound)),
                                  ("discord", discord_provider(discord, outbound))):
            async with console_with(app, [provider]) as served:
                async with http.get(f"{served.url}/console/signin/{offered}", allow_redirects=False) as start:
                    assert start.status == 303, offered
                for other in ({"slack", "discord"} - {offered}) | {"teams"}:
                    for path in (other, f"{other}/callback?code=1.2.oidc&state=s"):
                        status, page = await get(http, f"{served.url}/console/signin/{path}")
                        assert status == 404 and "no such sign-in" in page, (offered, path)


async def test_a_one_workspace_app_signs_in_its_own_workspaces_people_only(
        app: Deputy, slack_api: FakeSlackApi, http: aiohttp.ClientSession) -> None:
    """SLACK_BOT_TOKEN with the app's client id and secret: one workspace (the token's, as
    auth.test names it), and Sign in with Slack for its people."""
    settings = SlackSettings.model_validate({
        "bot_token": BOT_TOKEN, "api_url": slack_api.base_url, "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET, "openid_url": slack_api.openid_url})
    assert settings.signs_in and not settings.distributed
    async with aiohttp.ClientSession() as outbound:
        provider = slack_signin(settings, app.database, app.vault, outbound)
        assert provider is not None
        async with console_with(app, [provider]) as served:
            slack_api.oauth.signing_in = (TEAM, "U0ANNA")
            assert (await round_trip(http, served.url, "slack"))[0] == 303
            session = served.console.sessions.read(cookie_of(http), app.clock())
            assert session is not None and session.actor.key == f"slack:{TEAM}:U0ANNA"
            slack_api.oauth.signing_in = ("T0OTHER", "U0ANNA")
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
                status, page, _ = await round_trip(other, served.url, "slack")
                assert status == 403 and "not installed in your Slack workspace T0OTHER" in page


async def test_a_decision_when_discord_cannot_be_reached_decides_nothing(discord: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as outbound:
        provider = discord_provider(discord, outbound, discord_api_url="http://127.0.0.1:9")  # nothing listens
        alice = Actor(platform="discord", team_id=discord.guild_id, user_id=discord.people["alice"]["id"],
                      groups=frozenset({"finance"}))
        with pytest.raises(UserError, match="could not be reached.*nothing was decided"):
            await provider.current(alice)
