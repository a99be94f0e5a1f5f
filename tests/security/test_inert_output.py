"""Names, goals and integration data holding mass mentions and masked links reach Slack,
Discord and the terminal as plain text: nothing pings, nothing poses as a link, nothing
drives the terminal.

Through the real adapters and their fakes (signed Slack HTTP requests and the fake Web API;
discord.py against the fake Discord) and the real core with the local integration.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.app import Deputy, dispatcher
from bot.execution.worker import Worker
from bot.settings import Settings, load_settings
from bot.store.database import Database
from integrations.local.tables import LocalContact
from tests.adapters.discord.cards import custom_ids
from tests.adapters.discord.conftest import connect, disconnect, eventually
from tests.adapters.slack.conftest import USERS
from tests.adapters.slack.live import eventually as slack_eventually
from tests.adapters.slack.live import live_slack
from tests.core.conftest import seeded_app
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_api import FakeSlackApi
from tests.support.chat import Chat

SLACK_PAYLOAD = "<!channel> <!everyone> <!here> <@U0BOSS> <https://evil.example|Pay here> &amp;"
DISCORD_PAYLOAD = "@everyone @here [Pay here](https://evil.example) <@1100000000000000009> <@&1100000000000000005>"
CONTACT = "Alice Wong"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01,
                         retry_max_seconds=0.05, step_timeout_seconds=5, worker_poll_seconds=30)


@pytest.fixture
async def app(database: Database, settings: Settings) -> Deputy:
    return await seeded_app(database, settings)


async def plant_in_contact(database: Database, payload: str) -> str:
    """The CRM (an integration) returns a contact whose name carries ``payload`` (in every
    team's demo data)."""
    async with database.session(all_teams=True) as session:
        for row in (await session.exec(select(LocalContact).where(LocalContact.name == CONTACT))).all():
            row.name = f"{CONTACT} {payload}"
            session.add(row)
    return f"{CONTACT} {payload}"


# -- Slack -------------------------------------------------------------------------------

def slack_texts(call_params: dict[str, Any]) -> list[str]:
    """Every string Slack parses for mentions and links: ``text`` and mrkdwn in blocks."""
    found = [str(call_params.get("text", ""))]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(str(node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(call_params.get("blocks") or [])
    return found


async def test_slack_shows_mass_mentions_and_masked_links_as_text(app: Deputy, database: Database) -> None:
    users = {**USERS, "U0MALLORY": {"id": "U0MALLORY", "name": "mallory", "real_name": SLACK_PAYLOAD,
                                    "tz": "Europe/London",
                                    "profile": {"display_name": f"Mallory {SLACK_PAYLOAD}",
                                                "real_name": SLACK_PAYLOAD}}}
    api = await FakeSlackApi(users=users).start()
    await plant_in_contact(database, SLACK_PAYLOAD)
    try:
        async with live_slack(app, api) as live:
            await live.slash(f"add a note to Acme: {SLACK_PAYLOAD}", user="U0MALLORY")
            card = await live.card()
            await live.settle()
            await live.slash("look up Alice", user="U0MALLORY", trigger="t2")
            await live.settle()  # a read: planned and run at once
            assert await live.click(card, "approve", user="U0MALLORY") == 200
            await slack_eventually(lambda: len(live.thread_posts(card.thread_ts)) >= 2, 10, "the result")
            await live.settle()
            await live.slash("cancel <!channel>", user="U0MALLORY", trigger="t3")  # echoed in a notice
            await live.settle()
    finally:
        await api.stop()

    shown = [(c.method, t) for c in api.calls if c.method.startswith("chat.") for t in slack_texts(c.params)]
    assert any("&lt;!channel&gt;" in t for _, t in shown), "the payload was shown, escaped"
    assert any("Search the CRM for Alice Wong &lt;!channel&gt;" in t for _, t in shown), "…from the CRM too"
    for method, text in shown:
        # Deputy's own mention of the person who asked is the only markup it posts
        own = re.sub(r"^<@U0MALLORY> asked: ", "", text)
        assert "<" not in own and ">" not in own, (method, text)
    # "&" is escaped first, so "&amp;" typed by a person stays "&amp;" on screen
    assert any("&amp;amp;" in t for _, t in shown)


# -- Discord -----------------------------------------------------------------------------

_UNESCAPED_LINK = re.compile(r"(?<!\\)\[[^\]]*\]\(")
_PING = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


def discord_texts(body: Any) -> list[str]:
    found: list[str] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, value in node.items():
                if k not in ("components", "allowed_mentions"):
                    walk(value, k)
        elif isinstance(node, list):
            for value in node:
                walk(value, key)
        elif isinstance(node, str) and key in ("content", "title", "description", "name", "value", "text"):
            found.append(node)
    walk(body)
    return found


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    server.add_person(DISCORD_PAYLOAD, ["staff"])
    await server.start()
    yield server
    await server.stop()


async def test_discord_shows_mass_mentions_and_masked_links_as_text(
        app: Deputy, database: Database, fake: FakeDiscord) -> None:
    await plant_in_contact(database, DISCORD_PAYLOAD)
    running = await connect(fake, dispatcher(app))
    app.attach(running.port)
    try:
        bot = f"<@{fake.bot['id']}>"
        asked = await fake.post_message(DISCORD_PAYLOAD, f"{bot} add a note to Acme: {DISCORD_PAYLOAD}")
        await eventually(lambda: any(m["components"] for m in fake.messages.values()
                                     if m["channel_id"] == asked["id"]), 10)
        [card] = [m for m in fake.messages.values() if m["channel_id"] == asked["id"] and m["components"]]
        await fake.slash(DISCORD_PAYLOAD, "look up Alice")
        await eventually(lambda: len([m for m in fake.messages.values() if m["embeds"]]) >= 2, 10)
        await eventually(app.work_available.is_set)
        await Worker(app, "test").drain()  # the read runs at once: its result is posted too
        approve = next(c for c in custom_ids(card) if c.endswith(":approve"))
        await fake.click(DISCORD_PAYLOAD, card["id"], approve)
        await eventually(app.work_available.is_set)
        await Worker(app, "test").drain()
        # a notice that repeats what was typed: "I don't know how to do …"
        await fake.post_message(DISCORD_PAYLOAD, f"{bot} frobnicate [crm](https://evil.example) @everyone")
        await eventually(lambda: any("frobnicate" in json.dumps(c.body) for c in fake.calls if c.body))
    finally:
        await disconnect(running)

    # a thread's name is never parsed for mentions or links, so it is not checked here
    bodies = [c.body for c in fake.calls if c.method in ("POST", "PATCH") and isinstance(c.body, dict)
              and not c.path.endswith("/threads")]
    bodies += [c.data for c in fake.callbacks]
    texts = [t for body in bodies for t in discord_texts(body)]
    assert any("Pay here" in t for t in texts), "the payload was shown"
    assert any("Search the CRM for Alice Wong @" in t for t in texts), "…as the CRM returned it"
    payer = fake.people[DISCORD_PAYLOAD]["id"]
    for shown in texts:
        # inside a code block nothing renders (a value's backticks are replaced, so it
        # cannot close the block early)
        text = re.sub(r"```\n[^`]*\n```", "", shown)
        assert not _UNESCAPED_LINK.search(text), text
        # the only mention Deputy writes is of the person a private answer is for
        assert not _PING.search(text.replace(f"<@{payer}>", "")), text
    sent = [b for b in bodies if "allowed_mentions" in b]
    assert sent, "every message says whom it may ping"
    for body in sent:
        allowed = body["allowed_mentions"]
        assert allowed["parse"] == [], allowed
        assert [str(u) for u in allowed.get("users", [])] in ([], [payer]), allowed


# -- the terminal ------------------------------------------------------------------------

ANSI_PAYLOAD = "\x1b]0;pwned\x07\x1b[2J\x1b[31mRED\x1b[0m\r\x08\u202eevil\x9b1m"


@pytest.fixture
def chat(app: Deputy) -> Chat:
    return Chat(app, user="Dev Patel")


async def test_the_terminal_prints_no_escape_sequence_or_control_character(
        chat: Chat, database: Database) -> None:
    await plant_in_contact(database, ANSI_PAYLOAD)
    await chat.say(f"add a note to Acme: {ANSI_PAYLOAD}")
    await chat.say("look up Alice")
    await chat.say(f"as Mallory{ANSI_PAYLOAD}: approve")
    printed = chat.transcript
    assert "RED" in printed and "evil" in printed, "the payload's words are shown"
    assert "Search the CRM for Alice Wong" in printed  # the contact's name came from the CRM
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", printed), repr(printed)
