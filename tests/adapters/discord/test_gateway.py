"""The real discord.py client against the fake Discord: log-in, mentions, threads, replies."""

from __future__ import annotations

import discord

from bot.adapters.discord.client import HELP
from bot.chat.buttons import parse_button
from bot.chat.events import GoalPosted, ThreadReply
from bot.chat.replies import CardState, Notice
from bot.domain import Where
from tests.adapters.discord.cards import custom_ids, plan_card
from tests.adapters.discord.conftest import Running, eventually


async def test_logs_in_with_message_content_and_registers_the_command(discord_bot: Running) -> None:
    fake, client = discord_bot.fake, discord_bot.client
    await eventually(client.is_ready)
    assert [(c.method, c.path) for c in fake.calls[:2]] == [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
    ]
    assert discord.Intents._from_value(fake.intents).message_content
    guild = client.get_guild(int(fake.guild_id))
    assert guild is not None and guild.get_channel(int(fake.channel_id)) is not None
    (command,) = fake.commands
    assert command["name"] == "deputy"
    assert [o["name"] for o in command["options"]] == ["goal"]


async def test_mention_becomes_a_goal_and_the_plan_goes_in_a_thread(discord_bot: Running) -> None:
    fake, port, recorder = discord_bot.fake, discord_bot.port, discord_bot.recorder
    posted = await fake.post_message(
        "alice", f"<@{fake.bot['id']}>  invoice every client for March"
    )

    (event,) = await recorder.wait_for(1)
    assert isinstance(event, GoalPosted)
    assert event.text == "invoice every client for March"
    assert event.message_id == posted["id"] and event.event_id == posted["id"]
    assert event.where == Where(platform="discord", channel_id=fake.channel_id)
    assert (event.actor.platform, event.actor.team_id) == ("discord", fake.guild_id)
    assert event.actor.user_id == fake.people["alice"]["id"]
    assert event.actor.display_name == "Alice"

    thread = await port.open_thread(event.where, "Invoice every client for March", event.message_id)
    assert thread.thread_id == posted["id"]  # Discord names a message's thread after it
    (created,) = fake.calls_to("POST", f"/messages/{posted['id']}/threads")
    assert created.body["name"] == "Invoice every client for March"

    ref = await port.post(thread, plan_card())
    card = fake.messages[ref.message_id]
    assert card["channel_id"] == thread.thread_id
    assert [parse_button(c).action for c in custom_ids(card)] == ["approve", "modify", "reject"]
    assert {parse_button(c).plan_id for c in custom_ids(card)} == {7}
    fields = card["embeds"][0]["fields"]
    assert [f["name"] for f in fields] == ["1. crm.find_clients", "2. invoicing.create_invoice"]
    assert "amount = 120" in fields[1]["value"] and "customer ← " in fields[1]["value"]


async def test_update_edits_the_card_and_drops_the_buttons(discord_bot: Running) -> None:
    fake, port = discord_bot.fake, discord_bot.port
    where = Where(platform="discord", channel_id=fake.channel_id)
    ref = await port.post(where, plan_card())
    await port.update(ref, plan_card(state=CardState.RUNNING, done=1))
    card = fake.messages[ref.message_id]
    assert card["components"] == []
    assert card["embeds"][0]["description"].count("Running") == 1
    assert card["embeds"][0]["fields"][0]["value"].startswith("✅")


async def test_mention_without_goal_gets_help_and_changes_nothing(discord_bot: Running) -> None:
    fake, recorder = discord_bot.fake, discord_bot.recorder
    asked = await fake.post_message("bob", f"<@{fake.bot['id']}>   ")
    await eventually(lambda: bool(fake.calls_to("POST", f"/channels/{fake.channel_id}/messages")))
    (reply,) = fake.calls_to("POST", f"/channels/{fake.channel_id}/messages")
    assert reply.body["content"] == HELP
    assert str(reply.body["message_reference"]["message_id"]) == asked["id"]
    assert recorder.events == []
    assert fake.calls_to("POST", "/threads") == []


async def test_messages_in_a_deputy_thread_continue_the_goal(discord_bot: Running) -> None:
    fake, port, recorder = discord_bot.fake, discord_bot.port, discord_bot.recorder
    await fake.post_message("alice", "just chatting, no mention")
    posted = await fake.post_message("alice", f"<@{fake.bot['id']}> chase overdue invoices")
    await recorder.wait_for(1)
    thread = await port.open_thread(recorder.events[0].where, "Chase", posted["id"])
    await eventually(lambda: discord_bot.client.get_channel(int(thread.thread_id or 0)) is not None)

    await fake.post_message("bob", "only the ones over 30 days", channel_id=thread.thread_id)
    events = await recorder.wait_for(2)
    assert len(events) == 2
    reply = events[1]
    assert isinstance(reply, ThreadReply)
    assert reply.text == "only the ones over 30 days"
    assert reply.where == thread
    assert reply.actor.user_id == fake.people["bob"]["id"]


async def test_private_reply_without_interaction_mentions_the_person(discord_bot: Running) -> None:
    fake, port = discord_bot.fake, discord_bot.port
    where = Where(platform="discord", channel_id=fake.channel_id)
    actor = (await _alice_goal(discord_bot)).actor
    await port.post_private(where, actor, Notice("You are not in the finance group.", "warning"))
    sent = fake.calls_to("POST", f"/channels/{fake.channel_id}/messages")[-1]
    assert sent.body["content"] == f"<@{actor.user_id}> ⚠️ You are not in the finance group."
    # only the person it is for can be pinged, by id: not any user named in the text
    assert sent.body["allowed_mentions"]["parse"] == []
    assert [str(u) for u in sent.body["allowed_mentions"]["users"]] == [actor.user_id]


async def _alice_goal(running: Running) -> GoalPosted:
    await running.fake.post_message("alice", f"<@{running.fake.bot['id']}> anything")
    (event,) = await running.recorder.wait_for(1)
    assert isinstance(event, GoalPosted)
    return event
