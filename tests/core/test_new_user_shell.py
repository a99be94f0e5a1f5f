"""What a new user of `deputy make run` meets first, tried by hand: the answers say what to
do next, in words, on the embedded default (only the `local` integration enabled)."""

from __future__ import annotations

from pathlib import Path

from bot.settings import load_settings
from bot.store.database import Database
from tests.core.conftest import seeded_app
from tests.support.chat import Chat

NOTHING_TO_CONNECT = ("nothing here: the integrations enabled (local) need no account. Others (calendar, email, "
                      """invoicing, crm, browser) are enabled with DEPUTY_INTEGRATIONS, e.g. '["local", "email"]'.""")


async def test_connect_on_the_embedded_default_says_how_to_enable_an_integration(database: Database,
                                                                                   tmp_path: Path) -> None:
    chat = Chat(await seeded_app(database, load_settings(home=tmp_path / "home")), user="Dev")
    # it used to say "none are enabled" / "You can connect: nothing", and a bare `connect` was a goal
    assert await chat.say("connect") == f"! Use: connect INTEGRATION. You can connect: {NOTHING_TO_CONNECT}"
    assert await chat.say("connect foo") == f"✗ There is no integration called 'foo'. You can connect: {NOTHING_TO_CONNECT}"
    assert await chat.say("connections") == f"You have connected nothing yet. You can connect: {NOTHING_TO_CONNECT}"


async def test_a_change_to_an_argument_the_plan_did_not_set_says_not_set(database: Database, tmp_path: Path) -> None:
    chat = Chat(await seeded_app(database, load_settings(home=tmp_path / "home")), user="Dev")
    await chat.say("chase overdue invoices")
    answer = await chat.say("modify 2 message=Friendly nudge")
    # it used to be JSON's "null → Friendly nudge"
    assert "Changes from version 1: step 2 message: (not set) → Friendly nudge" in answer, answer
