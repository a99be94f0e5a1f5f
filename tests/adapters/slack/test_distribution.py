""""Add to Slack" through real HTTP, browser-less: /slack/install → the fake Slack's authorize
page → /slack/oauth_redirect → oauth.v2.access; the installation stored with its tokens sealed;
bad, foreign and replayed states refused; each workspace answered with its own token; a
rotating token refreshed before it expires; single-token mode untouched."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from bot.adapters.slack.installs import VAULT_INTEGRATION, owner_of
from bot.app import Deputy
from bot.store import slack_installs, teams
from tests.adapters.slack.distributed import (
    ACME,
    CHANNELS,
    GLOBEX,
    Installed,
    everything_stored,
    installed_slack,
    query_of,
    workspaces,
)
from tests.adapters.slack.test_end_to_end import GOAL
from tests.adapters.slack.test_end_to_end import app as app  # noqa: F401  (fixture)
from tests.adapters.slack.test_end_to_end import settings as settings  # noqa: F401  (fixture)
from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
async def slack(app: Deputy, slack_api: FakeSlackApi) -> AsyncIterator[Installed]:
    workspaces(slack_api)
    async with installed_slack(app, slack_api) as running:
        yield running


async def installations(app: Deputy) -> dict[str, str]:
    async with app.database.session(all_teams=True) as session:
        return {row.install_key: row.team_key for row in await slack_installs.listing(session)}


async def test_add_to_slack_stores_the_installation_with_its_token_sealed(slack: Installed, app: Deputy) -> None:
    location, cookie = await slack.start()
    sent = query_of(location)
    assert location.startswith(slack.api.authorize_url)
    assert sent["client_id"] and "chat:write" in sent["scope"].split(",")
    assert sent["redirect_uri"] == slack.url + "/slack/oauth_redirect"
    assert sent["state"] == cookie  # the same browser must come back with it

    status, page = await slack.get(await slack.allow(location, ACME), cookie)
    assert status == 200, page
    [exchange] = slack.api.of("oauth.v2.access")
    assert exchange.answer is not None and exchange.answer["ok"]
    token = exchange.answer["access_token"]

    assert await installations(app) == {f":{ACME}": f"slack:{ACME}"}
    assert app.vault is not None
    sealed = await app.vault.get(owner_of(f":{ACME}"), VAULT_INTEGRATION)
    assert sealed is not None and sealed["bot_token"] == token
    assert token not in await everything_stored(app)  # nowhere in the database in clear


async def test_each_workspace_is_answered_with_its_own_token(slack: Installed, app: Deputy) -> None:
    assert (await slack.install(ACME))[0] == 200
    assert (await slack.install(GLOBEX))[0] == 200
    acme_tokens, globex_tokens = set(slack.api.oauth.tokens_of(ACME)), set(slack.api.oauth.tokens_of(GLOBEX))
    assert acme_tokens and globex_tokens and not acme_tokens & globex_tokens

    assert await slack.slash(ACME, GOAL) == 200
    assert await slack.slash(GLOBEX, GOAL, user="U0BOSS") == 200
    await slack.card(ACME)
    await slack.card(GLOBEX)
    await slack.settle()
    for team, tokens in ((ACME, acme_tokens), (GLOBEX, globex_tokens)):
        posts = slack.posts_in(team)
        assert posts and {c.token for c in posts} <= tokens, team
        assert all(c.answer and c.answer["ok"] for c in posts)
    # users.info for each request went with the token of the workspace it came from
    assert {c.token for c in slack.api.of("users.info")} <= acme_tokens | globex_tokens


@pytest.mark.parametrize("case", ["unknown-state", "no-cookie", "another-browser", "replayed"])
async def test_a_bad_or_replayed_state_is_refused_and_stores_nothing(
        slack: Installed, app: Deputy, case: str) -> None:
    if case == "replayed":
        assert (await slack.install(ACME))[0] == 200
        callback = slack.api.oauth.last_redirect
        before = await installations(app)
        status, _ = await slack.get(callback, query_of(callback)["state"])
        assert status == 401
        assert await installations(app) == before
        assert len(slack.api.of("oauth.v2.access")) == 1  # the code was never sent again
        return
    location, cookie = await slack.start()
    callback = await slack.allow(location, ACME)
    if case == "unknown-state":
        forged = "forged-" + cookie[:10]
        callback, cookie = callback.replace(cookie, forged), forged
    elif case == "another-browser":
        other, _ = await slack.start()  # a state issued to someone else
        cookie = query_of(other)["state"]
    status, _ = await slack.get(callback, None if case == "no-cookie" else cookie)
    assert status in (400, 401)
    assert slack.api.of("oauth.v2.access") == []
    assert await installations(app) == {}


async def test_a_refused_code_stores_nothing_and_is_not_logged(
        slack: Installed, app: Deputy, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # what an operator's log shows (slack_sdk's DEBUG lines are its own)
    location, cookie = await slack.start()
    callback = await slack.allow(location, ACME)
    code = query_of(callback)["code"]
    slack.api.oauth.codes[code]["used"] = True  # Slack already took this code
    status, _ = await slack.get(callback, cookie)
    assert status == 401
    [exchange] = slack.api.of("oauth.v2.access")
    assert exchange.answer == {"ok": False, "error": "code_already_used"}
    assert await installations(app) == {}
    assert code not in caplog.text


async def test_a_rotating_token_is_refreshed_before_it_expires(app: Deputy, slack_api: FakeSlackApi) -> None:
    workspaces(slack_api)
    slack_api.oauth.rotation = True
    slack_api.oauth.expires_in = 600  # 10 minutes: inside the refresh window from the start
    async with installed_slack(app, slack_api) as slack:
        assert (await slack.install(ACME))[0] == 200
        [first] = slack_api.oauth.tokens_of(ACME)
        assert first.endswith("-e")
        assert await slack.slash(ACME, GOAL) == 200
        await slack.card(ACME)
        await slack.settle()
        refreshes = [c for c in slack_api.of("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"]
        assert refreshes and all(c.answer and c.answer["ok"] for c in refreshes)
        newest = slack_api.oauth.tokens_of(ACME)[-1]
        assert newest != first
        assert {c.token for c in slack.posts_in(ACME)} - {first} <= set(slack_api.oauth.tokens_of(ACME))
        assert app.vault is not None
        sealed = await app.vault.get(owner_of(f":{ACME}"), VAULT_INTEGRATION)
        assert sealed is not None and sealed["bot_refresh_token"] != refreshes[0].params["refresh_token"]
        stored = await everything_stored(app)
        assert newest not in stored and sealed["bot_refresh_token"] not in stored


async def test_a_workspace_that_never_installed_gets_nothing(slack: Installed, app: Deputy) -> None:
    assert (await slack.install(ACME))[0] == 200
    assert await slack.slash(GLOBEX, GOAL) == 200  # signed, but Globex never installed Deputy
    await slack.settle()
    assert slack.posts_in(GLOBEX) == [] and slack.cards_in(GLOBEX) == []
    assert CHANNELS[GLOBEX] not in str([c.params for c in slack.api.calls if c.method != "response_url"])


async def test_one_org_install_serves_every_workspace_of_the_org(app: Deputy, slack_api: FakeSlackApi) -> None:
    """Enterprise Grid: an org admin installs once; events from any workspace of the org are
    answered with the org's token; uninstalling the org cancels the work of its workspaces."""
    slack_api.oauth.add(ACME, "Acme EU", enterprise_id="E0ACME", enterprise_name="Acme Corp")
    slack_api.oauth.add(GLOBEX, "Globex")
    slack_api.oauth.org_install = True
    async with installed_slack(app, slack_api) as slack:
        assert (await slack.install(ACME))[0] == 200  # the org's admin, from a workspace of the org
        [exchange] = slack_api.of("oauth.v2.access")
        assert exchange.answer is not None and exchange.answer["is_enterprise_install"] is True
        assert await installations(app) == {"E0ACME:": "slack:E0ACME"}
        org_token = exchange.answer["access_token"]

        body = {"type": "app_mention", "user": "U0ANNA", "text": "<@UDEPUTY> " + GOAL, "ts": "1760000100.000100",
                "channel": CHANNELS[ACME], "event_ts": "1760000100.000100", "team": ACME}
        assert await slack.event(ACME, body, "Ev0ORG1", enterprise="E0ACME") == 200
        await slack.card(ACME)
        await slack.settle()
        assert {c.token for c in slack.posts_in(ACME)} == {org_token}
        # Globex is in no org and never installed: nothing
        assert await slack.event(GLOBEX, {**body, "channel": CHANNELS[GLOBEX], "team": GLOBEX}, "Ev0ORG2") == 200
        await slack.settle()
        assert slack.posts_in(GLOBEX) == []

        assert await slack.event(ACME, {"type": "app_uninstalled"}, "Ev0ORGBYE", enterprise="E0ACME", org=True) == 200
        await slack.settle()
        assert await installations(app) == {}
        async with app.database.session(all_teams=True) as session:
            statuses = {row.key: row.status for row in await teams.listing(session, "slack")}
        assert statuses[f"slack:{ACME}"] == "archived"


async def test_a_worker_process_posts_with_the_channels_workspace_token(slack: Installed, app: Deputy) -> None:
    """`deputy worker` receives no Slack events: its post-only port finds the channel's
    workspace in the database (learnt by the process that received the events)."""
    from bot.adapters.slack.port import ChatPostFailed
    from bot.adapters.slack.post_only import SlackPoster
    from bot.chat.replies import Notice
    from bot.domain import Where

    assert (await slack.install(ACME))[0] == 200
    assert (await slack.install(GLOBEX))[0] == 200
    assert await slack.slash(GLOBEX, "help") == 200  # Deputy hears from Globex's channel once
    await slack.settle()
    poster = SlackPoster(slack.adapter.settings, app)  # another process: nothing learnt in memory
    try:
        await poster.port.post(Where(platform="slack", channel_id=CHANNELS[GLOBEX]), Notice("digest"))
        with pytest.raises(ChatPostFailed, match="not_installed"):  # Acme's channel was never heard from
            await poster.port.post(Where(platform="slack", channel_id=CHANNELS[ACME]), Notice("digest"))
        assert await poster.ready()
    finally:
        await poster.aclose()
    [posted] = [c for c in slack.api.of("chat.postMessage") if "digest" in str(c.params.get("text"))]
    assert posted.token in slack.api.oauth.tokens_of(GLOBEX) and posted.answer and posted.answer["ok"]


@pytest.mark.parametrize("problem", ["socket-mode", "no-vault"])
async def test_the_distributed_app_refuses_settings_it_cannot_work_with(
        app: Deputy, slack_api: FakeSlackApi, problem: str) -> None:
    from bot.adapters.slack.distribution import build_distribution
    from bot.errors import SettingsError
    from tests.adapters.slack.distributed import distributed_settings

    extra = {"app_token": "xapp-1-test"} if problem == "socket-mode" else {}
    settings = distributed_settings(slack_api, "https://deputy.example.com", **extra)
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN" if problem == "socket-mode" else "vault"):
        build_distribution(settings, app.database, app.vault if problem == "socket-mode" else None)
