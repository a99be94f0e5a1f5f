"""The Slack half of the isolation suite (issue 20): two workspaces installed through "Add to
Slack", one deployment. Each team's goals, plans, approvals and runs are invisible to the
other and cannot be approved, rejected or cancelled from it: a click or a command carrying the
other team's ids changes nothing. Uninstalling one workspace deletes its tokens and cancels
its open work, and leaves the other's untouched."""

from __future__ import annotations

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
    installed_slack,
    workspaces,
)
from tests.adapters.slack.live import Card, state
from tests.adapters.slack.test_end_to_end import GOAL
from tests.adapters.slack.test_end_to_end import app as app  # noqa: F401  (fixture)
from tests.adapters.slack.test_end_to_end import settings as settings  # noqa: F401  (fixture)
from tests.adapters.slack.test_others_changes import GOAL as MEETING
from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
async def slack(app: Deputy, slack_api: FakeSlackApi) -> AsyncIterator[Installed]:
    workspaces(slack_api)
    async with installed_slack(app, slack_api) as running:
        assert (await running.install(ACME))[0] == 200
        assert (await running.install(GLOBEX))[0] == 200
        yield running


async def two_plans(slack: Installed) -> tuple[Card, Card]:
    """A plan waiting for approval in each workspace (U0ANNA exists in both)."""
    assert await slack.slash(ACME, GOAL) == 200
    acme = await slack.card(ACME)
    assert await slack.slash(GLOBEX, GOAL) == 200
    globex = await slack.card(GLOBEX)
    await slack.settle()
    return acme, globex


async def team_status(app: Deputy) -> dict[str, str]:
    async with app.database.session(all_teams=True) as session:
        return {row.key: row.status for row in await teams.listing(session, "slack")}


def goals_by_team(found: dict[str, list[dict[str, object]]]) -> dict[object, list[object]]:
    by: dict[object, list[object]] = {}
    for goal in found["GoalRow"]:
        by.setdefault(goal["team_id"], []).append(goal["status"])
    return by


@pytest.mark.parametrize("action", ["approve", "reject"])
async def test_a_click_carrying_the_other_teams_ids_changes_nothing(slack: Installed, app: Deputy, action: str) -> None:
    acme, globex = await two_plans(slack)
    before = await state(app)
    # Globex's signed request, its own workspace and user, on Acme's card (same button ids)
    assert await slack.click(acme, action, team=GLOBEX, user="U0ANNA") == 200
    # …and Acme's user claiming Globex's card from Acme's workspace
    assert await slack.click(globex, action, team=ACME, user="U0ANNA") == 200
    await slack.settle()
    assert await state(app) == before  # no approval, no run, no status changed
    assert slack.api.of("chat.update") == []

    # the same click from the card's own workspace works
    assert await slack.click(acme, "approve", team=ACME, user="U0ANNA") == 200
    await slack.done(acme)
    await slack.settle()
    by_team = goals_by_team(await state(app))
    assert by_team[ACME] == ["done"] and by_team[GLOBEX] == ["waiting"]


async def test_a_command_naming_the_other_teams_goal_changes_nothing(slack: Installed, app: Deputy) -> None:
    await two_plans(slack)
    found = await state(app)
    acme_goal = next(g for g in found["GoalRow"] if g["team_id"] == ACME)
    before = found
    assert await slack.slash(GLOBEX, f"cancel {acme_goal['id']}") == 200
    answer = await slack.ephemeral("U0ANNA")
    assert answer.params["channel"] == CHANNELS[GLOBEX]
    # the other team's goal is not there at all for this team (its session finds no such id)
    assert str(answer.params["text"]) == f"There is no goal #{acme_goal['id']}."
    await slack.settle()
    assert await state(app) == before

    # "status" in Globex lists Globex's goal only
    assert await slack.slash(GLOBEX, "status") == 200
    listed = await slack.ephemeral("U0ANNA", count=2)
    assert f"#{acme_goal['id']}" not in str(listed.params["text"])


async def test_uninstalling_one_workspace_deletes_its_tokens_and_cancels_its_work_only(
        slack: Installed, app: Deputy) -> None:
    acme, globex = await two_plans(slack)
    acme_tokens = slack.api.oauth.tokens_of(ACME)
    slack.api.uninstall(ACME)  # Slack revokes the tokens, then tells the app
    assert await slack.event(ACME, {"type": "app_uninstalled"}, "Ev0UNINSTALL") == 200
    await slack.settle()

    async with app.database.session(all_teams=True) as session:
        left = {row.install_key for row in await slack_installs.listing(session)}
    assert left == {f":{GLOBEX}"}
    assert app.vault is not None
    assert await app.vault.get(owner_of(f":{ACME}"), VAULT_INTEGRATION) is None
    assert await app.vault.get(owner_of(f":{GLOBEX}"), VAULT_INTEGRATION) is not None
    found = await state(app)
    assert goals_by_team(found) == {ACME: ["cancelled"], GLOBEX: ["waiting"]}
    assert await team_status(app) == {f"slack:{ACME}": "archived", f"slack:{GLOBEX}": "active"}
    versions = {v["plan_id"]: v["status"] for v in found["PlanVersionRow"]}
    assert sorted(versions.values()) == ["cancelled", "proposed"]

    # Acme's old card does nothing now; Globex still plans, approves and runs, with its token
    posted = len(slack.api.calls)
    assert await slack.click(acme, "approve", team=ACME, user="U0ANNA") == 200
    await slack.settle()
    assert await state(app) == found
    assert not any(c.token in acme_tokens for c in slack.api.calls[posted:])
    assert await slack.click(globex, "approve", team=GLOBEX, user="U0ANNA") == 200
    await slack.done(globex)
    await slack.settle()
    assert goals_by_team(await state(app)) == {ACME: ["cancelled"], GLOBEX: ["done"]}

    # installing again makes the workspace active again, with a new token
    assert (await slack.install(ACME))[0] == 200
    assert await team_status(app) == {f"slack:{ACME}": "active", f"slack:{GLOBEX}": "active"}
    assert not set(slack.api.oauth.tokens_of(ACME)[-1:]) & set(acme_tokens)


async def test_a_revoked_bot_token_is_deleted_and_its_runs_cancelled(slack: Installed, app: Deputy) -> None:
    await two_plans(slack)
    revoked = {"type": "tokens_revoked", "tokens": {"bot": ["UBT0ACME"]}}
    assert await slack.event(ACME, revoked, "Ev0REVOKED") == 200
    await slack.settle()
    assert app.vault is not None
    assert await app.vault.get(owner_of(f":{ACME}"), VAULT_INTEGRATION) is None
    assert goals_by_team(await state(app)) == {ACME: ["cancelled"], GLOBEX: ["waiting"]}


async def test_a_modify_submitted_from_the_other_workspace_changes_nothing(slack: Installed, app: Deputy) -> None:
    from tests.adapters.slack import wire

    assert await slack.slash(ACME, MEETING) == 200
    acme = await slack.card(ACME)
    await slack.settle()
    assert await slack.click(acme, "modify", team=ACME, user="U0ANNA") == 200
    [opened] = await slack.api.wait_for("views.open")
    assert opened.token in slack.api.oauth.tokens_of(ACME)  # the form opened with Acme's token
    view = opened.params["view"]
    title = next(b["block_id"] for b in view["blocks"] if b["type"] == "input" and b["block_id"].endswith(":title"))
    before = await state(app)

    payload = wire.view_submission(view, {title: "Changed by another team"}, user="U0ANNA")
    payload["team"] = {"id": GLOBEX, "domain": "globex"}
    payload["user"]["team_id"] = GLOBEX
    payload["view"]["team_id"] = payload["view"]["app_installed_team_id"] = GLOBEX
    assert await slack.send(wire.interactive(payload), wire.FORM) == 200
    await slack.settle()
    assert await state(app) == before  # no new version, no approval reset

    # the same submission from Acme, the plan's workspace, makes version 2
    payload["team"] = {"id": ACME, "domain": "acme"}
    payload["user"]["team_id"] = ACME
    payload["view"]["team_id"] = payload["view"]["app_installed_team_id"] = ACME
    assert await slack.send(wire.interactive(payload), wire.FORM) == 200
    await slack.card(ACME, count=2)
    await slack.settle()
    assert len((await state(app))["PlanVersionRow"]) == 2
