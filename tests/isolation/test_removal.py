"""Removing Deputy from one team touches that team alone: Slack's ``app_uninstalled`` for one
workspace deletes its bot token and archives it (its waiting work cancelled, its monitor
paused), Discord's GUILD_DELETE archives the guild the same way; every row of the two other
teams is the same afterwards, and they go on planning, approving and running."""

from __future__ import annotations

from bot.adapters.slack.installs import VAULT_INTEGRATION, owner_of
from bot.store.monitors import MonitorRow
from bot.store.tables import GoalRow
from tests.adapters.discord.test_guilds import wait_team
from tests.isolation.conftest import Deployment
from tests.isolation.teams import NOTE, Team, rows_of, run_finished
from tests.isolation.test_forgery import rows_by_team


async def others_rows(deployment: Deployment, removed: Team) -> dict[str, list[str]]:
    every = await rows_by_team(deployment)
    return {key: lines for key, lines in every.items() if key != removed.key}


async def statuses(team: Team) -> tuple[dict[int, str], list[str]]:
    goals = {g.id: g.status for g in await rows_of(team.app, team.key, GoalRow)}
    return goals, [m.status for m in await rows_of(team.app, team.key, MonitorRow)]


async def still_works(team: Team, marker: str) -> None:
    card = await team.plan(NOTE.format(marker=marker))
    await team.click(card, "approve")
    goal = max(g.id or 0 for g in await rows_of(team.app, team.key, GoalRow))
    assert (await run_finished(team.app, team.key, goal)).status == "succeeded", team.key


async def test_uninstalling_one_workspace_touches_that_workspace_alone(working: Deployment) -> None:
    acme, slack, vault = working.acme, working.acme.slack, working.app.vault
    assert vault is not None
    kept = await others_rows(working, acme)
    slack.api.uninstall(acme.team_id)  # Slack revokes the tokens, then tells the app
    assert await slack.event(acme.team_id, {"type": "app_uninstalled"}, "Ev0ISOBYE") == 200
    await slack.settle()

    assert await vault.get(owner_of(f":{acme.team_id}"), VAULT_INTEGRATION) is None
    assert await vault.get(owner_of(f":{working.globex.team_id}"), VAULT_INTEGRATION) is not None
    goals, monitors = await statuses(acme)
    assert (goals[acme.work.done_goal], goals[acme.work.waiting_goal]) == ("done", "cancelled")
    assert monitors == ["paused"]
    assert await others_rows(working, acme) == kept  # not one row of Globex or the guild changed
    await still_works(working.globex, "globex after")
    await still_works(working.guild, "guild after")


async def test_removing_the_guild_touches_that_guild_alone(working: Deployment) -> None:
    guild = working.guild
    fake = guild.running.fake
    kept = await others_rows(working, guild)
    await fake.remove_guild(fake.guild_id)
    await wait_team(working.app, fake.guild_id, "archived")

    goals, monitors = await statuses(guild)
    assert goals[guild.work.done_goal] == "done"
    assert monitors == ["paused"]
    assert await others_rows(working, guild) == kept
    for team in (working.acme, working.globex):
        await still_works(team, f"{team.marker} after")
