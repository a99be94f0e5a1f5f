"""A key pasted into Discord — `/deputy`, a mention, `@Deputy connect X`, a reply in the
goal's thread, the Modify form — is answered privately and echoed nowhere.

Through the real discord.py client against the fake Discord and the real core: no message
or interaction answer carries the key (not even the public "… asked: …" answer to
`/deputy`), and it is nowhere in the database, the audit export or the DEBUG log.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Deputy, dispatcher
from bot.execution.worker import Worker
from bot.flow.secret_guard import WARNING
from bot.settings import Settings, load_settings
from bot.store.database import Database
from tests.adapters.discord.cards import custom_ids
from tests.adapters.discord.conftest import Running, connect, disconnect, eventually
from tests.core.conftest import seeded_app
from tests.fakes.discord_server import FakeDiscord
from tests.security.keys import KEYS, audit_text, database_text, debug_json_log, leaked


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01)


@pytest.fixture
async def app(database: Database, settings: Settings) -> Deputy:
    return await seeded_app(database, settings)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def on_discord(fake: FakeDiscord, app: Deputy) -> AsyncIterator[Running]:
    running = await connect(fake, dispatcher(app))
    app.attach(running.port)
    yield running
    await disconnect(running)


def everything_shown(fake: FakeDiscord) -> str:
    """Every REST body the bot sent and every interaction answer: all Discord would show."""
    return "\n".join([json.dumps(c.body, default=str) for c in fake.calls]
                     + [json.dumps(c.data, default=str) for c in fake.callbacks])


def warnings(fake: FakeDiscord) -> int:
    return everything_shown(fake).count(WARNING[:60])


async def test_a_key_at_every_discord_entry_point_is_answered_privately_and_kept_nowhere(
        on_discord: Running, app: Deputy, database: Database) -> None:
    fake = on_discord.fake
    bot = f"<@{fake.bot['id']}>"
    with debug_json_log() as log:
        asked = await fake.post_message("alice", f"{bot} add a note to Acme: renewal due in May")
        await eventually(lambda: any(m["components"] for m in fake.messages.values()
                                     if m["channel_id"] == asked["id"]), 10)
        [card] = [m for m in fake.messages.values() if m["channel_id"] == asked["id"] and m["components"]]
        thread = card["channel_id"]
        modify = next(c for c in custom_ids(card) if c.endswith(":modify"))
        expected = 0
        for key in KEYS.values():
            await fake.slash("alice", f"chase overdue invoices with {key}")
            await fake.post_message("alice", f"{bot} look up Acme, key {key}")
            await fake.post_message("alice", f"{bot} connect {key}")
            await fake.post_message("alice", f"use this one: {key}", channel_id=thread)
            clicked = await fake.click("alice", card["id"], modify)
            await eventually(lambda clicked=clicked: bool(fake.callbacks_for(clicked)))
            form = fake.callbacks_for(clicked)[0].data
            [step2] = [c["components"][0] for c in form["components"]
                       if c["components"][0]["custom_id"] == "step:2"]
            typed = step2["value"].replace("renewal due in May", f"renewal due in May, token {key}")
            await fake.submit_modal("alice", card["id"], form["custom_id"], {"step:2": typed})
            expected += 5
            await eventually(lambda expected=expected: warnings(fake) >= expected, 10)
        assert warnings(fake) == expected
        # nothing was planned or changed: still one card, at version 1
        cards = [m for m in fake.messages.values() if m["components"]]
        assert [m["id"] for m in cards] == [card["id"]]
        approve = next(c for c in custom_ids(card) if c.endswith(":approve"))
        await fake.click("alice", card["id"], approve)
        await eventually(app.work_available.is_set)
        assert await Worker(app, "test").drain() == 1

    shown = everything_shown(fake)
    assert "renewal due in May" in shown and leaked(shown) == []
    assert "Done" in fake.messages[card["id"]]["embeds"][0]["description"]
    assert leaked(log.getvalue()) == []
    audit = await audit_text(database)
    assert audit.count('"secret_refused"') == expected and leaked(audit) == []
    assert leaked(await database_text(database)) == []
