"""Slack Connect: Acme's channel is shared with Globex, Deputy is installed in both workspaces,
and a person of each asks for a plan there. What Deputy posts and edits for one workspace's
team goes out with that workspace's bot token: from the process that heard the requests, and
from a `deputy worker` that heard nothing (it finds the workspace of the channel and team in
the database). The fake Slack refuses a bot token of a workspace the channel is not in
(``channel_not_found``) and an edit by another bot than the one that posted the message
(``cant_update_message``), as Slack does."""

from __future__ import annotations

import pytest

from bot.adapters.slack.post_only import SlackPoster
from bot.store.tables import GoalRow
from tests.adapters.slack.distributed import CHANNELS
from tests.adapters.slack.live import Card
from tests.fakes.slack_api import Call
from tests.isolation.conftest import Deployment
from tests.isolation.teams import NOTE, SlackTeam, newest, run_finished


def said_for(card: Card, calls: list[Call]) -> list[Call]:
    """The messages of the card's thread, and the edits of the card and of its thread's root."""
    ts = str((card.call.answer or {}).get("ts"))
    return [c for c in calls if c.method in ("chat.postMessage", "chat.update")
            and (c.params.get("thread_ts") == card.thread_ts or c.params.get("ts") in (ts, card.thread_ts))]


async def test_each_workspace_posts_and_edits_its_cards_in_a_shared_channel_with_its_own_token(
        deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    acme, globex, app = deployment.acme, deployment.globex, deployment.app
    api = acme.slack.api
    api.share(acme.channel, globex.team_id)
    monkeypatch.setitem(CHANNELS, globex.team_id, acme.channel)  # Globex's person asks there too
    # Acme is heard in the channel first, then Globex
    teams: list[tuple[SlackTeam, Card]] = [(t, await t.plan(NOTE.format(marker=t.marker))) for t in (acme, globex)]

    poster = SlackPoster(acme.slack.adapter.settings, app)
    app.attach(poster.port)  # from here on the posts and edits are a `deputy worker`'s: nothing learnt in memory
    try:
        for team, card in teams:
            await team.click(card, "approve")
            run = await run_finished(app, team.key, (await newest(app, team.key, GoalRow)).id)
            assert run.status == "succeeded", run
            await team.slack.done(card)
        await acme.slack.settle()
    finally:
        app.attach(acme.slack.adapter.port)
        await poster.aclose()

    for team, card in teams:
        said = said_for(card, api.calls)
        assert [c for c in said if c.method == "chat.update" and c.params["ts"] != card.thread_ts], team.key
        assert any(str(c.params.get("text", "")).startswith("Done") for c in said), team.key
        mine = set(api.oauth.tokens_of(team.team_id))
        assert [(c.method, c.token in mine, (c.answer or {}).get("error")) for c in said] == [
            (c.method, True, None) for c in said], team.key
