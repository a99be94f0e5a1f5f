"""Random Discord payloads into the real client's parsers and Deputy's handlers (messages,
button clicks, modal submissions, slash commands): each becomes a clean neutral event or a
clean refusal; no handler raises, nothing that is not Deputy's reaches the core."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.chat.buttons import parse_button
from bot.chat.events import ButtonPressed, ChatEvent, CommandInvoked, GoalPosted, ThreadReply
from tests.adapters.discord.conftest import Running
from tests.fakes.discord_server import ADMIN
from tests.fuzz.budget import ErrorLog, fuzz
from tests.support.tallies import tally

# slow (a fuzzer): `make test` runs it; `pytest -m "not slow"` leaves it out
pytestmark = pytest.mark.slow

texts = st.text(max_size=120) | st.sampled_from([
    "", " ", "connect crm", "connect", "status", "cancel 1", "help", "approve", "x" * 3000,
    "chase overdue invoices", "<@1100000000000000004>", "<@!1100000000000000004> hi",
    "<@1100000000000000004> connect stripe", "<@999> hi", "@everyone", "\u202e\u200b"])
custom_ids = st.text(max_size=110) | st.sampled_from([
    "deputy:1:1:approve", "deputy:1:1:reject", "deputy:1:1:modify", "deputy:0:0:approve",
    "deputy:99999999999999999999:1:approve", "deputy:x:1:approve", "deputy:1:1", "deputy:1:1:launch",
    "deputy-modify:1:1", "deputy-modify:x:y", "deputy-connect:abcdefgh12:0",
    "deputy-connect-form:abcdefgh12:0", "deputy-connect-form:short:0", ""]) | st.builds(
    "deputy:{}:{}:{}".format, st.integers(-5, 10**20), st.integers(-5, 10**6),
    st.sampled_from(["approve", "reject", "modify", "undo", ""]))
people = st.sampled_from(["alice", "bob", "stranger", "bot"])


def member_for(running: Running, who: str) -> dict[str, Any]:
    fake = running.fake
    if who in fake.people:
        return {**fake._member(who), "permissions": ADMIN}
    user = (fake.bot if who == "bot" else
            {"id": "1100000000000009999", "username": "stranger", "discriminator": "0",
             "global_name": None, "avatar": None, "bot": False})
    return {"user": user, "roles": [], "joined_at": "2026-01-01T00:00:00+00:00", "deaf": False,
            "mute": False, "flags": 0, "permissions": ADMIN}


@st.composite
def modal_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = draw(st.lists(st.fixed_dictionaries({
        "custom_id": st.sampled_from(["step:1", "step:2", "step:9", "step:", "step:x", "api_key",
                                       "token", "x"]) | st.text(max_size=20),
        "value": st.text(max_size=200) | st.sampled_from(["1 amount=5", "2 message=hi", "=", "99 x=y"]),
    }), max_size=5))
    return [{"type": 1, "components": [{"type": 4, **row}]} for row in rows]


async def settle(before: set[asyncio.Task[Any]]) -> None:
    """Wait for every task the payload started (event handlers, view and command callbacks),
    but not for the client's long-lived ones (gateway, keep-alive)."""
    for _ in range(50):
        new = {t for t in asyncio.all_tasks() - before
               if t is not asyncio.current_task() and not t.done()}
        short = {t for t in new if t.get_name().startswith(SHORT_LIVED)}
        if not short:
            return
        await asyncio.wait(short, timeout=5)
    raise AssertionError("handlers still running after the payload")


SHORT_LIVED = ("discord.py:", "discord-ui-", "CommandTree")


def check_events(events: list[ChatEvent]) -> None:
    for event in events:
        assert isinstance(event, GoalPosted | ThreadReply | ButtonPressed | CommandInvoked), event
        assert event.where.platform == "discord" and event.actor.platform == "discord"
        if isinstance(event, ButtonPressed):
            parse_button(event.button_id)  # only buttons Deputy can read reach the core
        if isinstance(event, GoalPosted | ThreadReply):
            assert event.text.strip() == event.text and event.text


TALLY = tally("fuzz discord entry points")


@fuzz
@given(kind=st.sampled_from(["message", "message", "component", "component", "modal", "slash"]),
       who=people, text=texts, custom_id=custom_ids, rows=modal_rows(),
       component_type=st.sampled_from([2, 2, 3, 7]), mention=st.sampled_from([True, True, False]))
async def test_random_payloads_become_clean_events_or_clean_refusals(
        discord_bot: Running, kind: str, who: str, text: str, custom_id: str,
        rows: list[dict[str, Any]], component_type: int, mention: bool) -> None:
    fake, client, recorder = discord_bot.fake, discord_bot.client, discord_bot.recorder
    state = client._connection
    member = member_for(discord_bot, who)
    recorder.events.clear()
    before = set(asyncio.all_tasks())
    with ErrorLog("discord", "bot.adapters.discord") as errors:
        if kind == "message":
            content = f"<@{fake.bot['id']}> {text}" if mention else text
            payload = fake._message(fake.channel_id, member["user"], {"content": content},
                                    mentions=[fake.bot] if mention else [])
            payload["member"] = {k: v for k, v in member.items() if k not in ("user", "permissions")}
            state.parse_message_create(json.loads(json.dumps(payload)))
        else:
            interaction_type, data = {
                "component": (3, {"custom_id": custom_id, "component_type": component_type,
                                  **({"values": [text]} if component_type != 2 else {})}),
                "modal": (5, {"custom_id": custom_id if custom_id.startswith("deputy-") or not mention
                              else f"deputy-modify:{len(text)}:{len(rows)}", "components": rows}),
                "slash": (2, {"id": fake.commands[0]["id"] if fake.commands else fake.new_id(),
                              "name": "deputy", "type": 1, "guild_id": fake.guild_id,
                              "options": [{"name": "goal", "type": 3, "value": text}]}),
            }[kind]
            # a click comes from a button on a message: the card carries it (as Discord does)
            button = {"type": 2, "style": 1, "label": "Go", "custom_id": custom_id or "none"}
            card = fake._message(fake.channel_id, fake.bot, {"content": "Plan 1 v1", "components": [
                {"type": 1, "components": [button]}]})
            interaction_id = fake.open_interaction(interaction_type)  # its 3 s start now
            payload = {
                "id": interaction_id, "application_id": fake.app_id, "type": interaction_type,
                "data": data, "guild_id": fake.guild_id, "channel_id": fake.channel_id,
                "channel": fake.channels[fake.channel_id], "member": member,
                "token": f"token-{interaction_id}", "version": 1, "app_permissions": ADMIN,
                "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
                "authorizing_integration_owners": {"0": fake.guild_id}, "context": 0,
                "attachment_size_limit": 10485760,
                **({"message": card} if kind != "slash" else {}),
            }
            state.parse_interaction_create(json.loads(json.dumps(payload)))
        await settle(before)
    assert errors.records == [], [(r.name, r.getMessage(), r.exc_info) for r in errors.records]
    check_events(recorder.events)
    if kind == "message" and who in ("bot",):
        assert recorder.events == [], "a bot's message reached the core"
    if kind == "component" and not custom_id.startswith("deputy:"):
        assert recorder.events == [], "a button that is not Deputy's reached the core"
    TALLY[f"{kind}:{'event' if recorder.events else 'refused'}"] += 1
