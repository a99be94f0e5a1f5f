"""Slack Connect: Acme's channel is shared with Globex and Deputy is installed in both. What
Deputy says at once because of a request — a private answer, a slash command's "asked:" line —
goes out with the token of the requester's own workspace, even when the other workspace was
heard in the channel since (a request whose work waited, here on users.info, while the other
workspace's request came in)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

import pytest

from bot.adapters.slack.after_ack import GAVE_UP
from bot.app import Deputy
from tests.adapters.slack import wire
from tests.adapters.slack.distributed import (
    ACME,
    CHANNELS,
    GLOBEX,
    Installed,
    installed_slack,
    workspaces,
)
from tests.adapters.slack.live import eventually
from tests.adapters.slack.test_end_to_end import GOAL
from tests.adapters.slack.test_end_to_end import app as app  # noqa: F401  (fixture)
from tests.adapters.slack.test_end_to_end import settings as settings  # noqa: F401  (fixture)
from tests.fakes.slack_api import Call, FakeSlackApi

SHARED = CHANNELS[ACME]
PEOPLE = {"U0ADA": ACME, "U0GRETA": GLOBEX, "U0GUS": GLOBEX}


@pytest.fixture
async def slack(app: Deputy, slack_api: FakeSlackApi, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Installed]:
    workspaces(slack_api)
    slack_api.share(SHARED, GLOBEX)
    monkeypatch.setitem(CHANNELS, GLOBEX, SHARED)  # Globex's people ask in the shared channel
    async with installed_slack(app, slack_api) as running:
        assert (await running.install(ACME))[0] == 200
        assert (await running.install(GLOBEX))[0] == 200
        yield running


def ephemerals_to(api: FakeSlackApi, user: str) -> list[Call]:
    return [c for c in api.of("chat.postEphemeral") if c.params.get("user") == user]


async def answered(api: FakeSlackApi, user: str, count: int = 1) -> None:
    await eventually(lambda: len(ephemerals_to(api, user)) >= count, 15, f"a private answer to {user}")


async def while_held(slack: Installed, first: tuple[str, str], then: tuple[str, str]) -> None:
    """(person, what they type): ``first``'s request waits on users.info while ``then``'s is
    answered, so ``then``'s workspace is the one heard in the channel last."""
    release = slack.api.hold("users.info", lambda params: params.get("user") == first[0])
    assert await slack.slash(PEOPLE[first[0]], first[1], user=first[0]) == 200
    await eventually(lambda: bool(slack.api.held), 15, f"users.info of {first[0]} held")
    before = len(ephemerals_to(slack.api, then[0]))
    assert await slack.slash(PEOPLE[then[0]], then[1], user=then[0]) == 200
    await answered(slack.api, then[0], before + 1)
    release.set()


def token_team(api: FakeSlackApi, token: str) -> str:
    [team] = [t for t in (ACME, GLOBEX) if token in api.oauth.tokens_of(t)]
    return team


async def test_immediate_answers_in_a_shared_channel_use_the_requesters_workspace(slack: Installed) -> None:
    api = slack.api
    # Ada (Acme) asks for a plan; Greta (Globex) asks for help while Ada's request waits
    await while_held(slack, ("U0ADA", GOAL), ("U0GRETA", "help"))
    await eventually(lambda: any("asked:" in str(c.params.get("text")) for c in api.of("chat.postMessage")),
                     15, "Ada's asked: line")
    await slack.card(ACME)
    # Gus (Globex) asks for help; Ada asks too while Gus's request waits
    await while_held(slack, ("U0GUS", "help"), ("U0ADA", "help"))
    await answered(api, "U0GUS")
    await slack.settle()

    said = [c for c in api.calls if c.params.get("channel") == SHARED
            and c.method in ("chat.postMessage", "chat.postEphemeral", "chat.update")]
    [root] = [c for c in said if "asked:" in str(c.params.get("text"))]
    assert "<@U0ADA>" in str(root.params["text"])
    for person in PEOPLE:
        assert ephemerals_to(api, person), person
    # Globex's people got only private answers; everything else here is Ada's (Acme's)
    spoken_for = [(c.method, PEOPLE[str(c.params["user"])] if c.method == "chat.postEphemeral" else ACME)
                  for c in said]
    assert [(c.method, token_team(api, c.token), (c.answer or {}).get("error")) for c in said] == [
        (method, team, None) for method, team in spoken_for]


async def test_a_given_up_request_is_told_with_the_requesters_workspace_token(slack: Installed) -> None:
    api = slack.api
    await while_held(slack, ("U0GUS", "help"), ("U0ADA", "help"))  # Acme heard in the channel last
    await answered(api, "U0GUS")
    await slack.settle()
    body = dict(parse_qsl(wire.slash_command(GOAL, user="U0GUS", channel=SHARED, trigger=api.trigger_id(),
                                             response_url=api.response_url)))
    body["team_id"] = GLOBEX
    before = len(ephemerals_to(api, "U0GUS"))
    await slack.adapter.give_up("command", {"body": body})
    [told] = ephemerals_to(api, "U0GUS")[before:]
    assert told.params["text"] == GAVE_UP and told.params["channel"] == SHARED
    assert token_team(api, told.token) == GLOBEX and not (told.answer or {}).get("error")
