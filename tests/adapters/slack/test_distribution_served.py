"""`deputy serve` as the distributed app, its own OS process configured only through the
environment: "Add to Slack" through its front door (whose thread hands the stores' database
work to the core's loop), then a workspace's request answered with that workspace's token,
then its uninstall."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import aiohttp

from tests.adapters.slack import wire
from tests.adapters.slack.distributed import ACME, CHANNELS, GLOBEX, query_of, workspaces
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_oauth import CLIENT_ID, CLIENT_SECRET
from tests.support.deputy_process import deputy_serve

GOAL = "add a contact Jane Doe, jane@acme.example, at Acme Corp"


async def install(session: aiohttp.ClientSession, url: str, api: FakeSlackApi, team: str) -> int:
    async with session.get(url + "/slack/install", allow_redirects=False) as start:
        assert start.status == 302, await start.text()
        cookie = start.cookies["slack-app-oauth-state"].value
        authorize = start.headers["Location"]
    api.oauth.approving = team
    async with session.get(authorize, allow_redirects=False) as approved:
        callback = approved.headers["Location"]
    assert query_of(callback)["state"] == cookie
    async with session.get(callback, allow_redirects=False,
                           headers={"Cookie": f"slack-app-oauth-state={cookie}"}) as done:
        return done.status


async def post(session: aiohttp.ClientSession, url: str, body: str, content_type: str) -> int:
    async with session.post(url + "/slack/events", data=body.encode(),
                            headers={"Content-Type": content_type, **wire.sign(body)}) as response:
        return response.status


async def test_deputy_serve_installs_answers_and_uninstalls_a_workspace(slack_api: FakeSlackApi, tmp_path: Path) -> None:
    workspaces(slack_api)
    env = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_SIGNING_SECRET": wire.SECRET,
           "DEPUTY_SLACK_API_URL": slack_api.base_url, "DEPUTY_SLACK_AUTHORIZE_URL": slack_api.authorize_url,
           "DEPUTY_SLACK_POST_INTERVAL_SECONDS": "0"}
    async with deputy_serve(tmp_path / "home", env) as served, \
            aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        slack_api.oauth.redirect_uri = served.url + "/slack/oauth_redirect"  # the app's configured URL
        async with session.get(served.url + "/readyz") as response:
            assert response.status == 200, await response.text()
        assert await install(session, served.url, slack_api, ACME) == 200
        [token] = slack_api.oauth.tokens_of(ACME)

        fields = dict(parse_qsl(wire.slash_command(GOAL, channel=CHANNELS[ACME], response_url=slack_api.response_url)))
        fields["team_id"] = ACME
        assert await post(session, served.url, urlencode(fields), wire.FORM) == 200
        try:
            [root, card] = await slack_api.wait_for("chat.postMessage", 2, within=30)
        except AssertionError:
            raise AssertionError(await served.output()) from None
        assert root.token == card.token == token and card.params["channel"] == CHANNELS[ACME]

        # a workspace that never installed is not answered
        fields["team_id"], fields["channel_id"] = GLOBEX, CHANNELS[GLOBEX]
        assert await post(session, served.url, urlencode(fields), wire.FORM) == 200

        event = json.loads(wire.event_callback({"type": "app_uninstalled"}, "Ev0BYE"))
        event["team_id"] = ACME
        event["authorizations"][0]["team_id"] = ACME
        assert await post(session, served.url, json.dumps(event), wire.JSON) == 200
        assert await served.stop() == 0
        said = await served.output()
    assert "slack: Deputy was uninstalled from this workspace (T0ACME)" in said
    assert token not in said
    # the install callback's code and state stay out of the access log (bot/adapters/slack/http.py's
    # callback_paths, which `deputy serve` hands to bot/web_oauth.py's filter)
    [exchange] = slack_api.of("oauth.v2.access")
    assert "/slack/oauth_redirect?…" in said and str(exchange.params["code"]) not in said
    assert not [c for c in slack_api.of("chat.postMessage") if c.params.get("channel") == CHANNELS[GLOBEX]]
