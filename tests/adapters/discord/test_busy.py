"""Past its pending limit, Deputy on Discord says it is busy at once and takes nothing.

The core's work is handed off (bot/adapters/handoff.py) and waits its turn; at most
``max_pending`` events may wait. Past that a slash command, a button click, a Modify or
connect form sent is answered with an ephemeral "busy" (type 4, flag 64, as Discord
expects), a mention with a reply, and none of them reaches the core, then or later; a
refused connect form, sent again, is taken."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot import metrics
from bot.adapters.discord.interactions import BUSY
from bot.chat.events import ChatEvent, CredentialsSubmitted, GoalPosted
from bot.chat.replies import ConnectForm, FormField
from bot.domain import Where
from tests.adapters.discord.cards import custom_ids, plan_card
from tests.adapters.discord.conftest import Recorder, connect, disconnect, eventually
from tests.fakes.discord_server import FakeDiscord

CHANNEL_MESSAGE, EPHEMERAL = 4, 64
CRM_FORM = ConnectForm(integration="crm", title="Connect crm", fields=(FormField(name="access_token", label="Access token"),))


def refused() -> float:
    return metrics.REGISTRY.get_sample_value("deputy_requests_refused_busy_total", {"platform": "discord"}) or 0.0


async def test_past_the_pending_limit_each_request_is_told_busy_and_nothing_is_queued(
    fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.adapters.discord")
    recorder, gate = Recorder(), asyncio.Event()

    async def held(event: ChatEvent) -> None:  # the core, busy until let go
        await gate.wait()
        await recorder(event)

    running = await connect(fake, held, max_pending=2)
    try:
        ref = await running.port.post(Where(platform="discord", channel_id=fake.channel_id), plan_card())
        approve = next(c for c in custom_ids(fake.messages[ref.message_id]) if c.endswith(":approve"))
        taken = [await fake.slash("alice", goal) for goal in ("invoice Acme", "invoice Globex")]
        await eventually(lambda: running.client.handoff.pending == 2)
        before = refused()

        slashed = await fake.slash("alice", "invoice Initech")
        clicked = await fake.click("alice", ref.message_id, approve)
        modified = await fake.submit_modal("alice", ref.message_id, "deputy-modify:7:1",
                                           {"step:2": "amount = 150\nmonth = March"})
        # the core had shown Alice a connect form (its last page) before the flood
        token = running.client.connect_forms.add(fake.people["alice"]["id"], CRM_FORM)
        form, typed = f"deputy-connect-form:{token}:0", {"field:access_token": "pat-na1-0042"}
        connected = await fake.submit_modal("alice", ref.message_id, form, typed)
        mentioned = await fake.post_message("alice", f"<@{fake.bot['id']}> invoice Umbrella")
        answered = (slashed, clicked, modified, connected)
        await eventually(lambda: all(fake.callbacks_for(i) for i in answered))
        for interaction in answered:
            (answer,) = fake.callbacks_for(interaction)
            assert answer.type == CHANNEL_MESSAGE
            assert answer.data["content"] == BUSY and answer.data["flags"] & EPHEMERAL
            assert fake.acknowledged_in(interaction) < 3
        replies = fake.calls_to("POST", f"/channels/{fake.channel_id}/messages")
        await eventually(lambda: any(c.body.get("content") == BUSY for c in replies))
        (reply,) = [c for c in replies if c.body.get("content") == BUSY]
        assert str(reply.body["message_reference"]["message_id"]) == mentioned["id"]
        assert refused() - before == 5
        assert sum("busy" in m for m in caplog.messages) == 5

        gate.set()
        await running.client.handoff.drain()
        assert [e.event_id for e in recorder.events] == taken  # only what was taken, in order
        assert all(isinstance(e, GoalPosted) for e in recorder.events)
        # room again: the next goal is taken
        again = await fake.slash("alice", "invoice Acme again")
        (event,) = (await recorder.wait_for(3))[2:]
        assert event.event_id == again
        # the refused form stayed open: sent again, it is taken
        resent = await fake.submit_modal("alice", ref.message_id, form, typed)
        (credentials,) = (await recorder.wait_for(4))[3:]
        assert isinstance(credentials, CredentialsSubmitted) and credentials.event_id == resent
        assert credentials.fields == {"access_token": "pat-na1-0042"}
    finally:
        gate.set()
        await disconnect(running)
