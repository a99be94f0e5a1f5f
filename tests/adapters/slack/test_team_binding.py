"""Approvals belong to the goal's team: in a Slack Connect channel people of other workspaces
can click Deputy's buttons with a correctly signed request. Their clicks get a private answer
and change nothing; a bare id in the policy (``U0BOSS``) names the person of the goal's own
workspace only."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Deputy
from bot.store.database import Database
from bot.store.tables import GoalRow, RunRow
from tests.adapters.slack import wire
from tests.adapters.slack.live import Live, count, eventually, live_slack, state
from tests.adapters.slack.test_end_to_end import (
    GOAL,
    OVERDUE,
    planned,
    reminders_sent,
)
from tests.adapters.slack.test_end_to_end import app as app  # noqa: F401  (fixture)
from tests.adapters.slack.test_end_to_end import settings as settings  # noqa: F401  (fixture)
from tests.fakes.slack_api import FakeSlackApi
from tests.support.policies import finance_approves_writes

OTHER = "T0OTHER"  # a partner's workspace, sharing #plans through Slack Connect


@pytest.fixture
async def live(app: Deputy, slack_api: FakeSlackApi):  # type: ignore[no-untyped-def]
    async with live_slack(app, slack_api) as running:
        yield running


async def foreign_click(live: Live, card: object, action: str, *, user: str, team_field: str) -> int:
    """A click by a person of ``OTHER``: ``user.team_id`` is theirs; the interaction's ``team``
    is theirs too, or the host's (``team_field``), as Slack Connect can send either."""
    from tests.adapters.slack.live import Card

    assert isinstance(card, Card)
    payload = wire.block_actions(str(card.buttons[action]), value=card.values[action], user=user,
                                 thread_ts=card.thread_ts, message_ts=card.ts)
    payload["user"]["team_id"] = OTHER
    payload["team"] = {"id": OTHER if team_field == "theirs" else wire.TEAM, "domain": "partner"}
    return await live.send(wire.interactive(payload), wire.FORM)


@pytest.mark.parametrize("team_field", ["theirs", "host"])
async def test_a_click_from_another_workspace_is_refused_and_changes_nothing(
        live: Live, app: Deputy, slack_api: FakeSlackApi, team_field: str) -> None:
    slack_api.users["U0EVE"] = {"id": "U0EVE", "name": "eve", "real_name": "Eve", "tz": "UTC",
                                "profile": {"display_name": "eve", "real_name": "Eve"}}
    card = await planned(live)
    [goal] = (await state(app))["GoalRow"]
    assert goal["team_id"] == wire.TEAM  # the goal records its workspace
    before = await state(app)

    assert await foreign_click(live, card, "approve", user="U0EVE", team_field=team_field) == 200
    refusal = await live.ephemeral("U0EVE")
    assert "belongs to another team" in str(refusal.params["text"])
    assert "Nothing was changed" in str(refusal.params["text"])
    await live.settle()
    assert await state(app) == before  # no approval, no run, no new actor
    assert live.updates_of(card.ts) == [] and await reminders_sent(app) == 0

    # the same click by the requester, in the goal's own workspace, runs the plan
    assert await live.click(card, "approve", user="U0ANNA") == 200
    await eventually(lambda: len(live.thread_posts(card.thread_ts)) >= 2, 10, "the result reply")
    await live.settle()
    assert await count(app, RunRow) == 1 and await reminders_sent(app) == OVERDUE


@pytest.mark.parametrize("policy", [finance_approves_writes(["U0BOSS"], requester_may_approve=False)], ids=["bare-id"])
async def test_a_bare_id_names_the_person_of_the_goals_workspace_only(
        live: Live, app: Deputy, database: Database, tmp_path: Path) -> None:
    card = await planned(live)
    before = await state(app)
    # U0BOSS of the partner workspace is not the U0BOSS the policy names
    assert await foreign_click(live, card, "approve", user="U0BOSS", team_field="theirs") == 200
    refusal = await live.ephemeral("U0BOSS")
    assert "belongs to another team" in str(refusal.params["text"])
    await live.settle()
    assert await state(app) == before and await reminders_sent(app) == 0

    assert await live.click(card, "approve", user="U0BOSS") == 200  # the home U0BOSS
    await eventually(lambda: len(live.thread_posts(card.thread_ts)) >= 2, 10, "the result reply")
    await live.settle()
    assert await reminders_sent(app) == OVERDUE
    async with database.session(all_teams=True) as session:
        goal = await session.get(GoalRow, 1)
    assert goal is not None and goal.text == GOAL
