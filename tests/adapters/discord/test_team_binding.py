"""Approvals belong to the goal's guild: a click Discord delivers from another guild (the
member is of that guild) gets a private answer and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from bot.app import Deputy, dispatcher
from bot.execution.worker import Worker
from bot.store.tables import ActorRow, ApprovalRow, GoalRow, PlanVersionRow, RunRow
from tests.adapters.discord.cards import custom_ids
from tests.adapters.discord.conftest import Running, connect, disconnect, eventually
from tests.adapters.discord.test_end_to_end import _plan_card
from tests.fakes.discord_server import FakeDiscord

EPHEMERAL = 64
OTHER_GUILD = "1100000000000000999"


@pytest.fixture
async def on_discord(fake: FakeDiscord, app: Deputy) -> AsyncIterator[Running]:
    running = await connect(fake, dispatcher(app))
    app.attach(running.port)
    yield running
    await disconnect(running)


async def snapshot(app: Deputy) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    async with app.database.session(all_teams=True) as session:
        for table in (GoalRow, PlanVersionRow, ApprovalRow, RunRow, ActorRow):
            rows = (await session.exec(select(table))).all()
            found[table.__name__] = sorted((r.model_dump() for r in rows), key=repr)
    return found


def private_answers(fake: FakeDiscord) -> list[str]:
    return [str(c.body.get("content", "")) for c in fake.followups()
            if int(c.body.get("flags", 0)) & EPHEMERAL]


async def test_a_click_from_another_guild_is_refused_and_changes_nothing(
        on_discord: Running, app: Deputy) -> None:
    fake = on_discord.fake
    card = await _plan_card(fake, "chase overdue invoices")
    approve = next(c for c in custom_ids(card) if c.endswith(":approve"))
    before = await snapshot(app)
    [goal] = before["GoalRow"]
    assert goal["team_id"] == fake.guild_id  # the goal records its guild

    # alice is the requester's own id, but the click comes from a member of another guild
    clicked = await fake.click("alice", card["id"], approve, guild_id=OTHER_GUILD)
    await eventually(lambda: any("belongs to another team" in t for t in private_answers(fake)), 10)
    assert fake.callbacks_for(clicked)  # answered (acknowledged), privately
    assert await Worker(app, "test").drain() == 0
    assert await snapshot(app) == before
    assert fake.messages[card["id"]]["components"] == card["components"]  # the card is unchanged

    # the same person in the goal's guild approves, and the plan runs
    await fake.click("alice", card["id"], approve)
    await eventually(app.work_available.is_set)
    assert await Worker(app, "test").drain() == 1
