"""`/deputy setup` and `/deputy admin` on Slack: a workspace admin or owner (users.info
is_admin / is_owner) sees and changes the team's settings; anyone else is told who may and
nothing changes; a disabled workspace is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import Deputy
from bot.flow.team_admin import NOT_ADMIN
from bot.store import teams
from bot.store.tables import GoalRow
from bot.store.teams import TeamStatus
from tests.adapters.slack import wire
from tests.adapters.slack.live import Live, count, live_slack
from tests.adapters.slack.test_end_to_end import GOAL
from tests.adapters.slack.test_end_to_end import app as app  # noqa: F401  (fixture)
from tests.adapters.slack.test_end_to_end import settings as settings  # noqa: F401  (fixture)
from tests.fakes.slack_api import FakeSlackApi

KEY = f"slack:{wire.TEAM}"


@pytest.fixture
async def live(app: Deputy, slack_api: FakeSlackApi) -> AsyncIterator[Live]:
    for user_id, name, flags in (("U0OWNR", "olga", {"is_owner": True, "is_admin": True}),
                                 ("U0ADMN", "adam", {"is_admin": True}), ("U0CARL", "carl", {})):
        slack_api.users[user_id] = {"id": user_id, "name": name, "real_name": name.title(), "tz": "Europe/London",
                                    "profile": {"display_name": name}, **flags}
    async with live_slack(app, slack_api) as running:
        yield running


async def settings_of(app: Deputy) -> dict[str, object] | None:
    async with app.database.session(team=KEY) as session:
        row = await teams.get(session, KEY)
    return None if row is None else row.settings


async def answer(live: Live, text: str, user: str) -> str:
    before = len([c for c in live.api.of("chat.postEphemeral") if c.params.get("user") == user])
    await live.slash(text, user=user)
    await live.settle()
    sent = [c for c in live.api.of("chat.postEphemeral") if c.params.get("user") == user]
    assert len(sent) == before + 1, [c.params.get("text") for c in sent]
    return str(sent[-1].params.get("text"))


async def test_a_workspace_admin_changes_the_settings_and_others_are_refused(live: Live, app: Deputy) -> None:
    assert NOT_ADMIN in await answer(live, "setup timezone Europe/Paris", "U0CARL")
    assert await settings_of(app) is None

    saved = await answer(live, "setup timezone Europe/Paris", "U0OWNR")
    assert "Saved." in saved and "Time zone: Europe/Paris" in saved
    assert await settings_of(app) == {"timezone": "Europe/Paris"}
    shown = await answer(live, "admin", "U0ADMN")
    assert f"({KEY}) is active" in shown and "Time zone: Europe/Paris" in shown
    # Slack's groups are its user groups: there is no role map to set
    assert "no role map to set here" in await answer(live, "setup role finance <@&123>", "U0ADMN")
    assert await settings_of(app) == {"timezone": "Europe/Paris"}


async def test_a_disabled_workspace_is_refused_and_nothing_is_planned(live: Live, app: Deputy) -> None:
    async with app.database.session(team=KEY) as session:
        row, _ = await teams.ensure(session, KEY)
        await teams.set_status(session, row, TeamStatus.DISABLED)
    assert "turned off for this team by its operator" in await answer(live, GOAL, "U0ANNA")
    assert await count(app, GoalRow) == 0
