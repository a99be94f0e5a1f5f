"""Each discord.py client talks to the Discord its settings name, not to one set process-wide:
two clients in one process, each with its own fake Discord, never cross."""

from __future__ import annotations

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.chat.events import GoalPosted
from bot.chat.replies import Notice
from tests.adapters.discord.conftest import Recorder, connect, disconnect, eventually
from tests.fakes.discord_server import FakeDiscord


async def test_two_clients_in_one_process_each_talk_to_their_own_discord(fake: FakeDiscord) -> None:
    other = FakeDiscord()
    await other.start()
    first = await connect(fake, Recorder())
    second = await connect(other, Recorder())
    try:
        # log-in (REST) and the gateway session: one each, at each client's own Discord
        assert (fake.identifies, other.identifies) == (1, 1)
        assert [c.path for c in other.calls[:2]] == ["/users/@me", "/oauth2/applications/@me"]

        # an interaction is answered through discord.py's webhook adapter, to the right Discord
        slashed = await other.slash("alice", "invoice every client for March")
        (event,) = await second.recorder.wait_for(1)
        assert isinstance(event, GoalPosted) and event.text == "invoice every client for March"
        await eventually(lambda: bool(other.callbacks_for(slashed)))
        assert first.recorder.events == [] and fake.callbacks == []

        # REST from the port: the reply is posted on the second Discord only
        ref = await second.port.post(event.where, Notice("On it."))
        assert ref is not None and "On it." in other.messages[ref.message_id]["content"]
        assert ref.message_id not in fake.messages
    finally:
        await disconnect(second)
        await disconnect(first)
        await other.stop()
    # discord.py's own defaults are left as they are, for any other client of the process
    assert Route.BASE == "https://discord.com/api/v10"
    assert DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL("wss://gateway.discord.gg/")

