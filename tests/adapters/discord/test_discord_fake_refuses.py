"""The fake Discord refuses what Discord refuses, and Deputy's messages stay inside the limits.

Rules of the fake are shown with the real discord.py client sending the bad request (through
its HTTP layer where discord.py itself would refuse to build it) and raising Discord's error.
"""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord.http import Route

from bot.adapters.discord.render import render
from bot.chat.events import GoalPosted
from bot.chat.replies import CardState, Digest, PlanCard, StepLine
from bot.domain import Where
from tests.adapters.discord.conftest import Running
from tests.fakes.discord_server import FakeDiscord


async def _post(bot: Running, body: dict[str, Any]) -> Any:
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=bot.fake.channel_id)
    return await bot.client.http.request(route, json=body)


async def _invalid_form(call: Any) -> dict[str, Any]:
    with pytest.raises(discord.HTTPException) as caught:
        await call
    assert caught.value.status == 400 and caught.value.code == 50035
    return caught.value  # type: ignore[return-value]


def _button(custom_id: str) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "Go", "custom_id": custom_id}


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"content": "x" * 2001}, "In content: Must be 2000 or fewer in length."),
        (
            {"embeds": [{"description": "d"} for _ in range(11)]},
            "In embeds: Must be 10 or fewer in length.",
        ),
        (
            {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]},
            "In embeds: Embed size exceeds maximum size of 6000",
        ),
        (
            {"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]},
            "In embeds.0.fields.0.value: Must be 1024 or fewer in length.",
        ),
        (
            {"components": [{"type": 1, "components": [_button(f"b{r}")]} for r in range(6)]},
            "In components: Must be 5 or fewer in length.",
        ),
        (
            {"components": [{"type": 1, "components": [_button(f"b{n}") for n in range(6)]}]},
            "In components.0.components: Must be 5 or fewer in length.",
        ),
        (
            {"components": [{"type": 1, "components": [_button("c" * 101)]}]},
            "In components.0.components.0.custom_id: Must be 100 or fewer in length.",
        ),
    ],
)
async def test_a_message_beyond_discords_limits_is_invalid_form_body(
    discord_bot: Running, body: dict[str, Any], where: str
) -> None:
    before = len(discord_bot.fake.messages)
    err = await _invalid_form(_post(discord_bot, body))
    assert where in str(err)
    assert len(discord_bot.fake.messages) == before  # nothing was posted


async def test_an_edit_is_checked_like_a_new_message(discord_bot: Running) -> None:
    channel = discord_bot.client.get_partial_messageable(int(discord_bot.fake.channel_id))
    message = await channel.send(content="short")
    await _invalid_form(message.edit(content="x" * 2001))
    assert discord_bot.fake.messages[str(message.id)]["content"] == "short"


async def test_a_modal_holds_at_most_five_inputs(discord_bot: Running) -> None:
    fake = discord_bot.fake
    interaction = fake.open_interaction()
    rows = [
        {"type": 1, "components": [{"type": 4, "custom_id": f"i{n}", "label": "L", "style": 1}]}
        for n in range(6)
    ]
    route = Route(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        interaction_id=interaction,
        interaction_token=f"token-{interaction}",
    )
    body = {"type": 9, "data": {"custom_id": "m", "title": "T", "components": rows}}
    err = await _invalid_form(discord_bot.client.http.request(route, json=body))
    assert "In data.components: Must be 5 or fewer in length." in str(err)
    assert fake.callbacks_for(interaction) == []
    # five are accepted
    body["data"]["components"] = rows[:5]
    await discord_bot.client.http.request(route, json=body)
    assert [c.type for c in fake.callbacks_for(interaction)] == [9]


async def test_an_interaction_answered_after_three_seconds_is_unknown(discord_bot: Running) -> None:
    fake = discord_bot.fake
    interaction = fake.open_interaction()
    fake.advance(3.5)
    route = Route(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        interaction_id=interaction,
        interaction_token=f"token-{interaction}",
    )
    with pytest.raises(discord.NotFound) as caught:
        await discord_bot.client.http.request(route, json={"type": 6})
    assert caught.value.code == 10062 and "Unknown interaction" in str(caught.value)
    assert fake.callbacks_for(interaction) == []


async def test_a_follow_up_after_fifteen_minutes_is_refused(discord_bot: Running) -> None:
    fake = discord_bot.fake
    interaction = fake.open_interaction()
    webhook = Route(
        "POST",
        "/webhooks/{webhook_id}/{webhook_token}",
        webhook_id=fake.app_id,
        webhook_token=f"token-{interaction}",
    )
    await discord_bot.client.http.request(webhook, json={"content": "in time"})
    fake.advance(15 * 60 + 1)
    with pytest.raises(discord.HTTPException) as caught:
        await discord_bot.client.http.request(webhook, json={"content": "too late"})
    assert caught.value.status == 401 and caught.value.code == 50027
    assert [m["content"] for m in fake.messages.values()] == ["in time"]


# ---- Deputy's own messages stay inside the limits -----------------------------------------


def _long_card() -> PlanCard:
    steps = tuple(
        StepLine(
            number=n,
            step_id=f"s{n}",
            action="crm.create_note",
            description="d" * 600,
            shown_args={"body": "b" * 280},
            args={"body": "b" * 280, "record_id": "1001"},
            effect="write",
            verdict="require_approval",
            reason="r" * 200,
            detail="x" * 100,
        )
        for n in range(1, 41)
    )
    return PlanCard(
        goal_id=1,
        plan_id=1,
        version=1,
        goal_text="g" * 3000,
        requester="alice",
        summary="s" * 400,
        steps=steps,
        state=CardState.AWAITING,
        approvals_required=1,
        note="n" * 1000,
    )


async def test_a_long_plan_card_fits_in_one_embed_and_is_accepted(discord_bot: Running) -> None:
    card = _long_card()
    embed = render(card).embed
    assert embed is not None and len(embed) <= 6000
    assert embed.fields[-1].value.endswith("more steps")
    where = Where(platform="discord", channel_id=discord_bot.fake.channel_id, thread_id=None)
    ref = await discord_bot.port.post(where, card)
    await discord_bot.port.update(ref, card)
    assert discord_bot.fake.messages[ref.message_id]["embeds"]


async def test_a_long_digest_is_accepted(discord_bot: Running) -> None:
    digest = Digest(
        monitor_id=3,
        title="t" * 400,
        lines=tuple("line " * 100 for _ in range(100)),
        footer="f" * 3000,
        details_ref="run 42",
        offer="o" * 2000,
    )
    embed = render(digest).embed
    assert embed is not None and len(embed) <= 6000
    where = Where(platform="discord", channel_id=discord_bot.fake.channel_id, thread_id=None)
    await discord_bot.port.post(where, digest)


async def test_a_long_slash_goal_is_echoed_clipped_and_handed_over_whole(
    discord_bot: Running,
) -> None:
    fake, recorder = discord_bot.fake, discord_bot.recorder
    goal = "remind " + "x" * 5000
    invoked = await fake.slash("alice", goal)
    (event,) = await recorder.wait_for(1)
    assert isinstance(event, GoalPosted) and event.text == goal
    (answer,) = fake.callbacks_for(invoked)
    assert len(answer.data["content"]) == 2000


def test_open_interaction_starts_the_clock() -> None:
    fake = FakeDiscord()
    first = fake.open_interaction()
    fake.advance(1)
    assert fake.now() - fake._sent_at[first] >= 1


async def test_thread_names_and_archive_durations_are_checked(discord_bot: Running) -> None:
    channel = discord_bot.client.get_channel(int(discord_bot.fake.channel_id))
    assert isinstance(channel, discord.TextChannel)
    err = await _invalid_form(channel.create_thread(name="t" * 101, type=discord.ChannelType.public_thread))
    assert "In name: Must be between 1 and 100 in length." in str(err)
    route = Route("POST", "/channels/{channel_id}/threads", channel_id=channel.id)
    late = await _invalid_form(
        discord_bot.client.http.request(route, json={"name": "ok", "auto_archive_duration": 30, "type": 11})
    )
    assert "In auto_archive_duration" in str(late)
    # Deputy's own threads: a long goal becomes a name Discord accepts
    where = Where(platform="discord", channel_id=discord_bot.fake.channel_id, thread_id=None)
    thread = await discord_bot.port.open_thread(where, "a goal " * 100, None)
    assert len(discord_bot.fake.channels[str(thread.thread_id)]["name"]) <= 100


async def test_command_sync_is_checked(discord_bot: Running) -> None:
    # Deputy's /deputy command was synced at start-up and accepted
    assert [c["name"] for c in discord_bot.fake.commands] == ["deputy"]
    route = Route("PUT", "/applications/{app_id}/commands", app_id=discord_bot.fake.app_id)
    bad = [{"name": "Deputy Goal", "description": "d" * 101, "type": 1}]
    err = await _invalid_form(discord_bot.client.http.request(route, json=bad))
    assert "In 0.name: Command name is invalid" in str(err)
    assert "In 0.description: Must be between 1 and 100 in length." in str(err)
