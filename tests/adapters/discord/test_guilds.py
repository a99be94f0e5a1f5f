"""Many guilds on one Deputy: the real discord.py client, the full core and the fake Discord.

A guild joined gets its team with the defaults; ``/deputy setup`` by a guild administrator
sets the guild's role map, refused for anyone else; a guild's role map counts in that guild
only; GUILD_DELETE archives that guild alone (its runs cancelled, its monitors paused), an
outage changes nothing, and a disabled team is told so and nothing happens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from bot.app import Deputy, dispatcher, team_door
from bot.domain import PlanDraft, RunStatus
from bot.flow.team_admin import NOT_ADMIN
from bot.store import monitors, teams
from bot.store.monitors import MonitorRow, MonitorStatus
from bot.store.tables import GoalRow, RunRow
from bot.store.teams import TeamStatus
from tests.adapters.discord.cards import custom_ids
from tests.adapters.discord.conftest import Running, connect, disconnect, eventually
from tests.adapters.discord.test_bad_input_end_to_end import private_answer
from tests.adapters.discord.test_end_to_end import bot_messages_in
from tests.core.conftest import NOW
from tests.fakes.discord_server import FakeDiscord
from tests.support.demo_teams import seed_team


@pytest.fixture
async def on_discord(fake: FakeDiscord, app: Deputy) -> AsyncIterator[Running]:
    running = await connect(fake, dispatcher(app), teams=team_door(app))
    app.attach(running.port)
    await eventually(running.client.is_ready, 15)
    yield running
    await disconnect(running)


async def team(app: Deputy, guild_id: str) -> teams.TeamRow | None:
    async with app.database.session(all_teams=True) as session:
        return await teams.get(session, f"discord:{guild_id}")


async def wait_team(app: Deputy, guild_id: str, status: str = TeamStatus.ACTIVE) -> teams.TeamRow:
    found: list[teams.TeamRow | None] = [None]

    async def check() -> bool:
        found[0] = await team(app, guild_id)
        return found[0] is not None and found[0].status == status

    for _ in range(200):
        if await check():
            assert found[0] is not None
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"team discord:{guild_id} never became {status}: {found[0]}")


async def join_seeded(app: Deputy, fake: FakeDiscord, name: str, members: dict[str, list[str]],
                      owner: str) -> dict[str, str]:
    """The bot joins another guild, its team appears, and the demo data is put in that team
    (the local integration keeps each team's data apart: a new guild starts empty)."""
    other = await fake.join_guild(name, members, owner=owner)
    await wait_team(app, other["guild"])
    await seed_team(app.database, f"discord:{other['guild']}", NOW.date(), "Europe/London")
    return other


async def plan_card(fake: FakeDiscord, person: str, goal: str, channel_id: str) -> dict[str, Any]:
    asked = await fake.post_message(person, f"<@{fake.bot['id']}> {goal}", channel_id=channel_id)
    await eventually(lambda: any(m["components"] for m in bot_messages_in(fake, asked["id"])), 15)
    (card,) = [m for m in bot_messages_in(fake, asked["id"]) if m["components"]]
    return card


async def approved_run(app: Deputy, fake: FakeDiscord, person: str, channel_id: str) -> None:
    """A plan posted and approved by ``person``: its run is queued (no worker drains it)."""
    card = await plan_card(fake, person, "invoice Acme for last month", channel_id)
    approve = next(c for c in custom_ids(card) if c.endswith(":approve"))
    before = len(await rows(app, RunRow))
    await fake.click(person, card["id"], approve)
    for _ in range(300):
        if len(await rows(app, RunRow)) > before:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no run was queued")


async def rows(app: Deputy, table: Any) -> list[Any]:
    async with app.database.session(all_teams=True) as session:
        return list((await session.exec(select(table))).all())


async def monitor_of(app: Deputy, owner_key: str, channel_id: str) -> int:
    # the owner's guild's monitor, as `monitor add` in that guild makes it
    async with app.database.session(team=owner_key.rsplit(":", 1)[0]) as session:
        row = await monitors.add_monitor(session, MonitorRow(
            owner_key=owner_key, name="overdue", platform="discord", channel_id=channel_id,
            plan=PlanDraft(summary="list overdue", steps=[]).model_dump(by_alias=True),
            schedule={"kind": "interval", "seconds": 3600}, status=MonitorStatus.ACTIVE))
        assert row.id is not None
        return row.id


async def test_a_guild_joined_gets_its_team_and_removal_archives_it_alone(
        on_discord: Running, app: Deputy) -> None:
    fake = on_discord.fake
    first = await wait_team(app, fake.guild_id)  # on_guild_available at start-up
    assert (first.name, first.settings) == ("Acme", {})
    other = await join_seeded(app, fake, "Globex", {"carol": ["staff"], "dave": ["finance"]}, owner="carol")
    second = await wait_team(app, other["guild"])
    assert (second.name, second.status, second.settings) == ("Globex", "active", {})

    await approved_run(app, fake, "alice", fake.channel_id)
    await approved_run(app, fake, "carol", other["channel"])
    here = await monitor_of(app, f"discord:{fake.guild_id}:{fake.people['alice']['id']}", fake.channel_id)
    there = await monitor_of(app, f"discord:{other['guild']}:{fake.people['carol']['id']}", other["channel"])

    await fake.guild_outage(other["guild"])  # Discord down for that guild: nothing changes
    await fake.remove_guild(other["guild"])
    await wait_team(app, other["guild"], TeamStatus.ARCHIVED)

    goals = {g.id: g for g in await rows(app, GoalRow)}
    by_guild = {goals[r.goal_id].team_id: r.status for r in await rows(app, RunRow)}
    assert by_guild == {fake.guild_id: RunStatus.QUEUED, other["guild"]: RunStatus.CANCELLED}
    states = {m.id: m.status for m in await rows(app, MonitorRow)}
    assert states == {here: MonitorStatus.ACTIVE, there: MonitorStatus.PAUSED}
    assert (await wait_team(app, fake.guild_id)).status == TeamStatus.ACTIVE
    # invited again: active, with its settings; what was cancelled or paused stays so
    await fake.rejoin_guild(other["guild"])
    assert (await wait_team(app, other["guild"])).status == TeamStatus.ACTIVE
    assert {m.id: m.status for m in await rows(app, MonitorRow)}[there] == MonitorStatus.PAUSED
    assert sorted(r.status for r in await rows(app, RunRow)) == [RunStatus.CANCELLED, RunStatus.QUEUED]


async def test_setup_by_an_admin_sets_the_guilds_role_map_and_is_refused_to_others(
        on_discord: Running, app: Deputy) -> None:
    fake = on_discord.fake
    await wait_team(app, fake.guild_id)
    staff = fake.roles["staff"]

    asked = await fake.slash("bob", f"setup role finance <@&{staff}>")  # bob: no Manage Server
    assert NOT_ADMIN in await private_answer(fake, asked)
    assert (await wait_team(app, fake.guild_id)).settings == {}

    asked = await fake.slash("alice", f"setup role finance <@&{staff}>")  # alice owns the guild
    answer = await private_answer(fake, asked)
    assert "Saved." in answer and f"finance = role {staff}" in answer
    assert (await wait_team(app, fake.guild_id)).settings == {"role_groups": {"finance": staff}}

    fake.admins.add("bob")  # given Manage Server: bob may now see the settings
    asked = await fake.slash("bob", "setup")
    assert f"finance = role {staff}" in await private_answer(fake, asked)

    asked = await fake.slash("alice", "setup timezone Mars/Base")
    assert "'Mars/Base' is not a time zone" in await private_answer(fake, asked)
    assert (await wait_team(app, fake.guild_id)).settings == {"role_groups": {"finance": staff}}


async def test_a_guilds_role_map_counts_in_that_guild_only(on_discord: Running, app: Deputy) -> None:
    fake = on_discord.fake
    await wait_team(app, fake.guild_id)
    other = await join_seeded(app, fake, "Globex", {"carol": [], "dave": ["finance", "staff"]}, owner="carol")

    async def groups_of_goal(person: str, channel_id: str) -> list[str]:
        await plan_card(fake, person, "invoice Acme for last month", channel_id)
        newest = max(await rows(app, GoalRow), key=lambda g: g.id or 0)
        return sorted(newest.requester_groups)

    # the deployment's map (finance = guild A's finance role) is the default everywhere
    assert await groups_of_goal("alice", fake.channel_id) == ["finance"]
    assert await groups_of_goal("dave", other["channel"]) == []
    # guild A's own map: its staff role is finance there, and alice's role no longer counts
    await private_answer(fake, await fake.slash("alice", f"setup role finance <@&{fake.roles['staff']}>"))
    assert await groups_of_goal("bob", fake.channel_id) == ["finance"]
    assert await groups_of_goal("alice", fake.channel_id) == []
    # ... and grants nothing in guild B, whose own map names only its own roles
    assert await groups_of_goal("dave", other["channel"]) == []
    await private_answer(fake, await fake.slash("carol", f"setup role ops <@&{other['staff']}>",
                                                 channel_id=other["channel"]))
    assert await groups_of_goal("dave", other["channel"]) == ["ops"]
    assert await groups_of_goal("bob", fake.channel_id) == ["finance"]


async def test_a_disabled_guild_is_told_so_and_nothing_happens(on_discord: Running, app: Deputy) -> None:
    fake = on_discord.fake
    row = await wait_team(app, fake.guild_id)
    async with app.database.session(all_teams=True) as session:  # the operator's
        await teams.set_status(session, row, TeamStatus.DISABLED)
    asked = await fake.slash("alice", "invoice Acme for last month")
    assert "turned off for this team by its operator" in await private_answer(fake, asked)
    assert await rows(app, GoalRow) == []
