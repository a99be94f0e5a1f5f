"""The Discord half of the isolation suite (issue 20): two guilds on one Deputy, the real
discord.py client, the full core and the fake Discord. Each guild's goals, plans, approvals,
runs, monitors, memories and audit are invisible to the other, and cannot be approved,
cancelled, paused or exported from it: a click or command carrying the other guild's ids
changes nothing. (Guild removal: test_guilds.py.)"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.app import Deputy, dispatcher, team_door
from bot.domain import PlanDraft
from bot.execution.worker import Worker
from bot.store import monitors, team_data
from bot.store.monitors import MonitorRow, MonitorStatus
from tests.adapters.discord.cards import custom_ids
from tests.adapters.discord.conftest import Running, connect, disconnect, eventually
from tests.adapters.discord.test_bad_input_end_to_end import private_answer, private_answers
from tests.adapters.discord.test_guilds import join_seeded, plan_card, rows, wait_team
from tests.adapters.discord.test_team_binding import snapshot
from tests.fakes.discord_server import FakeDiscord


@pytest.fixture
async def guilds(fake: FakeDiscord, app: Deputy) -> AsyncIterator[tuple[Running, dict[str, str]]]:
    running = await connect(fake, dispatcher(app), teams=team_door(app))
    app.attach(running.port)
    await eventually(running.client.is_ready, 15)
    await wait_team(app, fake.guild_id)
    other = await join_seeded(app, fake, "Globex", {"carol": ["finance"], "dave": ["staff"]}, owner="carol")
    yield running, other
    await disconnect(running)


async def ask(fake: FakeDiscord, person: str, text: str, channel_id: str) -> str:
    return await private_answer(fake, await fake.slash(person, text, channel_id=channel_id))


async def test_a_guilds_plans_and_goals_cannot_be_approved_or_cancelled_from_another(
        guilds: tuple[Running, dict[str, str]], app: Deputy) -> None:
    running, other = guilds
    fake = running.fake
    card = await plan_card(fake, "alice", "invoice Acme for last month", fake.channel_id)
    theirs = await plan_card(fake, "carol", "chase overdue invoices", other["channel"])
    approve = next(c for c in custom_ids(card) if c.endswith(":approve"))
    before = await snapshot(app)
    [mine, _] = sorted(before["GoalRow"], key=lambda g: g["id"])

    # carol, owner of the other guild, clicks guild A's card: Discord delivers it from her guild
    clicked = await fake.click("carol", card["id"], approve, guild_id=other["guild"])
    await eventually(lambda: bool(private_answers(fake, clicked)), 10)
    cancel = await ask(fake, "carol", f"cancel {mine['id']}", other["channel"])
    status = await ask(fake, "carol", "status", other["channel"])
    assert "invoice Acme" not in status and "chase overdue" in status
    assert f"#{mine['id']}" in cancel and "is cancelled" not in cancel
    assert await Worker(app, "test").drain() == 0
    assert await snapshot(app) == before
    assert fake.messages[card["id"]]["components"] == card["components"]
    assert fake.messages[theirs["id"]]["components"] == theirs["components"]


async def test_memories_monitors_and_exports_stay_in_their_guild(
        guilds: tuple[Running, dict[str, str]], app: Deputy) -> None:
    running, other = guilds
    fake = running.fake
    a, b = f"discord:{fake.guild_id}", f"discord:{other['guild']}"
    taught = await ask(fake, "alice", "remember for the team: standups are 15 minutes", fake.channel_id)
    assert "standups" in taught.lower()
    assert "standups" in (await ask(fake, "bob", "memories", fake.channel_id)).lower()
    assert "15 minutes" not in await ask(fake, "carol", "memories", other["channel"])
    assert "15 minutes" not in await ask(fake, "carol", "what do you remember about standups", other["channel"])

    async with app.database.session(team=a) as session:
        watched = await monitors.add_monitor(session, MonitorRow(
            owner_key=f"{a}:{fake.people['alice']['id']}", name="overdue", platform="discord",
            channel_id=fake.channel_id, plan=PlanDraft(summary="list overdue", steps=[]).model_dump(by_alias=True),
            schedule={"kind": "interval", "seconds": 3600}, status=MonitorStatus.ACTIVE))
    for verb in ("pause", "delete"):
        said = await ask(fake, "carol", f"monitor {verb} {watched.id}", other["channel"])
        assert "is paused" not in said and "is deleted" not in said
    assert [m.status for m in await rows(app, MonitorRow)] == [MonitorStatus.ACTIVE]
    assert "no monitors" in (await ask(fake, "carol", "monitors", other["channel"])).lower()

    await plan_card(fake, "alice", "invoice Acme for last month", fake.channel_id)
    await plan_card(fake, "carol", "chase overdue invoices", other["channel"])
    exported: dict[str, str] = {}
    for key in (a, b):
        async with app.database.session(team=key) as session:
            exported[key] = "\n".join([line async for line in team_data.export_lines(session, key)])
    assert "invoice Acme" in exported[a] and "15 minutes" in exported[a]
    assert "invoice Acme" not in exported[b] and "15 minutes" not in exported[b]
    assert "chase overdue" in exported[b] and "chase overdue" not in exported[a]
    assert fake.people["alice"]["id"] not in exported[b]
    tables_b = {json.loads(line)["table"] for line in exported[b].splitlines()}
    assert {"teams", "goals", "actors"} <= tables_b




async def test_deleting_one_guild_leaves_the_others_rows_whole(
        guilds: tuple[Running, dict[str, str]], app: Deputy) -> None:
    running, other = guilds
    fake = running.fake
    a, b = f"discord:{fake.guild_id}", f"discord:{other['guild']}"
    card = await plan_card(fake, "alice", "invoice Acme for last month", fake.channel_id)
    await plan_card(fake, "carol", "chase overdue invoices", other["channel"])
    await fake.click("alice", card["id"], next(c for c in custom_ids(card) if c.endswith(":approve")))
    await eventually(app.work_available.is_set, 10)
    assert await Worker(app, "test").drain() == 1  # guild A: plan, approval, run, step results

    async def export(key: str) -> list[str]:
        async with app.database.session(team=key) as session:
            return [line async for line in team_data.export_lines(session, key)]

    kept = await export(b)
    async with app.database.session(team=a) as session:
        before = await team_data.counts(session, a)
        deleted = await team_data.delete_all(session, a)
    assert {t: n for t, n in deleted.items() if n} == {t: n for t, n in before.items() if n}
    assert {"plans", "plan_versions", "steps", "approvals", "runs", "step_results", "goals"} <= {
        t for t, n in deleted.items() if n}
    async with app.database.session(team=a) as session:
        assert not any((await team_data.counts(session, a)).values())
    assert await export(b) == kept
