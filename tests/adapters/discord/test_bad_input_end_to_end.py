"""Bad input on Discord changes nothing: the real discord.py client and the full core
against the fake Discord, with the database counted before and after.

A click by a member without the approver role, a click on a superseded card, a double
click, a click for a plan that does not exist and a mention without a goal each leave the
goals, plan versions, approvals and runs as they were, and tell that person why, privately.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlmodel import func, select

from bot.adapters.discord.client import HELP
from bot.adapters.discord.settings import DiscordSettings
from bot.app import Deputy, dispatcher
from bot.execution.worker import Worker
from bot.policy import Policy
from bot.settings import Settings, load_settings
from bot.store.database import Database
from bot.store.tables import ApprovalRow, GoalRow, PlanVersionRow, RunRow
from tests.adapters.discord.cards import custom_ids
from tests.adapters.discord.conftest import Running, connect, disconnect, eventually
from tests.core.conftest import seeded_app
from tests.fakes.discord_server import FakeDiscord
from tests.support.policies import finance_approves_writes

EPHEMERAL = 64

# writes need someone from @finance; finance is declared empty, so membership comes from
# the platform: here, the Discord role mapped to it
FINANCE = finance_approves_writes()



@pytest.fixture
async def app(database: Database, settings: Settings, policy: Policy | None) -> Deputy:
    return await seeded_app(database, settings, policy=policy)


@pytest.fixture
async def on_discord(
    fake: FakeDiscord, app: Deputy, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Running]:
    # the role mapping comes in the way an admin sets it: the environment variable
    monkeypatch.setenv("DEPUTY_DISCORD_ROLE_GROUPS", json.dumps({"finance": fake.roles["finance"]}))
    discord_settings = DiscordSettings(
        token=SecretStr(fake.token),
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
        discord_role_groups=load_settings().discord_role_groups,
    )
    assert discord_settings.discord_role_groups == {"finance": fake.roles["finance"]}
    running = await connect(fake, dispatcher(app), discord_settings)
    app.attach(running.port)
    yield running
    await disconnect(running)


async def rows(database: Database) -> dict[str, int]:
    """What a user could check changed: goals, plan versions, approvals, runs."""
    counted: dict[str, int] = {}
    async with database.session(all_teams=True) as session:
        for table in (GoalRow, PlanVersionRow, ApprovalRow, RunRow):
            query = select(func.count()).select_from(table)
            counted[table.__name__] = int((await session.exec(query)).one())
    return counted


def private_answers(fake: FakeDiscord, interaction_id: str) -> list[str]:
    """Texts only the clicking person saw: ephemeral callbacks and ephemeral followups."""
    texts = [
        str(c.data.get("content", ""))
        for c in fake.callbacks_for(interaction_id)
        if c.type == 4 and int(c.data.get("flags", 0)) & EPHEMERAL
    ]
    texts += [
        str(call.body.get("content", ""))
        for call in fake.followups()
        if call.path.endswith(f"/token-{interaction_id}")
        and int(call.body.get("flags", 0)) & EPHEMERAL
    ]
    return texts


async def private_answer(fake: FakeDiscord, interaction_id: str) -> str:
    await eventually(lambda: bool(private_answers(fake, interaction_id)))
    (text,) = private_answers(fake, interaction_id)
    return text


def bot_messages_in(fake: FakeDiscord, channel_id: str) -> list[dict[str, Any]]:
    return [
        m
        for m in fake.messages.values()
        if m["channel_id"] == channel_id and m["author"]["id"] == fake.bot["id"]
    ]


def button(card: dict[str, Any], action: str) -> str:
    return next(c for c in custom_ids(card) if c.endswith(f":{action}"))


async def plan_card(fake: FakeDiscord, name: str, goal: str) -> dict[str, Any]:
    asked = await fake.post_message(name, f"<@{fake.bot['id']}> {goal}")
    await eventually(lambda: any(m["components"] for m in bot_messages_in(fake, asked["id"])), 10)
    (card,) = [m for m in bot_messages_in(fake, asked["id"]) if m["components"]]
    return card


@pytest.mark.parametrize("policy", [FINANCE], ids=["finance"])
async def test_only_a_member_with_the_finance_role_can_approve(
    on_discord: Running, app: Deputy, database: Database, tmp_path: Path
) -> None:
    fake = on_discord.fake
    card = await plan_card(fake, "bob", "invoice Acme for last month")  # bob: staff only
    approve = button(card, "approve")
    before = await rows(database)

    refused = await fake.click("bob", card["id"], approve)
    said = await private_answer(fake, refused)
    assert "You can't approve this plan" in said and "@finance" in said
    assert await rows(database) == before
    assert before["RunRow"] == 0 and before["ApprovalRow"] == 0
    assert fake.messages[card["id"]]["components"] == card["components"]  # still approvable

    approved = await fake.click("alice", card["id"], approve)  # alice holds the finance role
    await eventually(lambda: bool(fake.callbacks_for(approved)))
    await eventually(app.work_available.is_set)
    assert await Worker(app, "test").drain() == 1
    after = await rows(database)
    assert (after["ApprovalRow"], after["RunRow"]) == (1, 1)
    assert private_answers(fake, approved) == []
    assert "Done" in fake.messages[card["id"]]["embeds"][0]["description"]


@pytest.mark.parametrize("policy", [finance_approves_writes(requester_may_approve=False)], ids=["not-the-requester"])
async def test_a_requester_with_the_finance_role_cannot_approve_their_own_plan(
    on_discord: Running, app: Deputy, database: Database
) -> None:
    fake = on_discord.fake
    fake.add_person("carol", ["finance"])
    card = await plan_card(fake, "alice", "invoice Acme for last month")  # alice holds the finance role
    approve = button(card, "approve")
    before = await rows(database)

    refused = await fake.click("alice", card["id"], approve)
    assert ("You can't approve this plan, because the policy needs someone other than the requester "
            "to approve this plan.") in await private_answer(fake, refused)
    assert await rows(database) == before and before["ApprovalRow"] == 0
    assert fake.messages[card["id"]]["components"] == card["components"]  # still approvable

    approved = await fake.click("carol", card["id"], approve)  # another with the finance role
    await eventually(lambda: bool(fake.callbacks_for(approved)))
    await eventually(app.work_available.is_set)
    assert await Worker(app, "test").drain() == 1
    assert private_answers(fake, approved) == []


async def test_a_click_on_a_superseded_version_names_both_versions(
    on_discord: Running, app: Deputy, database: Database
) -> None:
    fake = on_discord.fake
    first = await plan_card(fake, "alice", "invoice all clients for last month")
    thread_id = first["channel_id"]
    old_approve = button(first, "approve")
    assert old_approve.endswith(":1:approve")

    await fake.post_message("alice", "make it only Acme", channel_id=thread_id)
    await eventually(
        lambda: any(
            c.endswith(":2:approve") for m in bot_messages_in(fake, thread_id) for c in custom_ids(m)
        ),
        10,
    )
    (second,) = [
        m for m in bot_messages_in(fake, thread_id) if any(":2:" in c for c in custom_ids(m))
    ]
    before = await rows(database)
    assert before["PlanVersionRow"] == 2

    # the old card is redrawn without buttons; a click from a render of it made before that
    # (another device, a slow client) still arrives, and discord.py alone would drop it
    await eventually(lambda: fake.messages[first["id"]]["components"] == [], 10)
    stale = await fake.click("alice", first["id"], old_approve)
    said = await private_answer(fake, stale)
    assert "version 1" in said and "version 2" in said and "Nothing was changed" in said
    assert await rows(database) == before
    assert (before["ApprovalRow"], before["RunRow"]) == (0, 0)

    # the newest card still works
    await fake.click("alice", second["id"], button(second, "approve"))
    await eventually(app.work_available.is_set)
    assert await Worker(app, "test").drain() == 1


async def test_a_double_click_makes_one_approval_and_one_run(
    on_discord: Running, app: Deputy, database: Database
) -> None:
    fake = on_discord.fake
    card = await plan_card(fake, "alice", "invoice Acme for last month")
    approve = button(card, "approve")

    first = await fake.click("alice", card["id"], approve)
    second = await fake.click("alice", card["id"], approve)
    await eventually(lambda: bool(private_answers(fake, first) or private_answers(fake, second)))
    said = private_answers(fake, first) + private_answers(fake, second)
    assert len(said) == 1 and "already" in said[0]
    await eventually(app.work_available.is_set)
    counted = await rows(database)
    assert (counted["ApprovalRow"], counted["RunRow"]) == (1, 1)
    assert await Worker(app, "test").drain() == 1
    assert await Worker(app, "test").drain() == 0
    assert (await rows(database))["RunRow"] == 1


async def test_a_click_for_an_unknown_plan_changes_nothing(
    on_discord: Running, database: Database
) -> None:
    fake = on_discord.fake
    # a card of Deputy's whose plan is not in the database (say, restored from elsewhere);
    # discord.py only dispatches a click on a button the message really carries
    message = await fake.post_message("alice", "just chatting")
    approve = {"type": 2, "style": 1, "label": "Approve", "custom_id": "deputy:999:1:approve"}
    message.update(author=fake.bot, components=[{"type": 1, "components": [approve]}])
    before = await rows(database)

    clicked = await fake.click("alice", message["id"], "deputy:999:1:approve")
    said = await private_answer(fake, clicked)
    assert "can't find plan 999" in said
    assert await rows(database) == before
    assert before == {"GoalRow": 0, "PlanVersionRow": 0, "ApprovalRow": 0, "RunRow": 0}


async def test_a_mention_or_slash_command_without_a_goal_gets_help_and_no_goal(
    on_discord: Running, database: Database
) -> None:
    fake = on_discord.fake
    asked = await fake.post_message("alice", f"<@{fake.bot['id']}>   ")
    def helps() -> list[Any]:
        posted = fake.calls_to("POST", f"/channels/{fake.channel_id}/messages")
        return [c for c in posted if c.body.get("content") == HELP]

    await eventually(lambda: bool(helps()))
    (reply,) = helps()
    assert str(reply.body["message_reference"]["message_id"]) == asked["id"]

    slashed = await fake.slash("alice", "   ")
    assert await private_answer(fake, slashed) == HELP
    assert await rows(database) == {
        "GoalRow": 0, "PlanVersionRow": 0, "ApprovalRow": 0, "RunRow": 0
    }
