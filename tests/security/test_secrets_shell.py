"""A key pasted at any entry point of the shell (a goal, a thread reply, `modify`, a command
argument, `as NAME:`) is refused before it is parsed: it is not echoed, not planned, not
stored, not run — and nowhere in the database file, the audit export or the DEBUG log."""

from __future__ import annotations

import pytest

from bot.app import Deputy
from bot.flow.secret_guard import WARNING
from bot.store.database import Database
from tests.security.keys import KEYS, audit_text, database_text, debug_json_log, leaked
from tests.support.chat import Chat

# every way a line can reach Deputy from the shell, with {key} where the person pasted it
ENTRIES = (
    "use {key} to chase overdue invoices",       # a goal
    "reply send it with api key {key}",           # a thread reply
    "modify 2 message=Pay now, token {key}",      # modify
    "modify 2 message={key}",
    "connect {key}",                              # a connect command's argument
    "cancel {key}",
    "monitor approve {key}",
    "as {key}: approve",                          # a name
)


@pytest.mark.parametrize("provider", sorted(KEYS))
async def test_a_key_at_every_shell_entry_point_is_refused_and_kept_nowhere(
        chat: Chat, deputy: Deputy, database: Database, provider: str) -> None:
    key = KEYS[provider]
    with debug_json_log() as log:
        first = await chat.say("chase overdue invoices")
        assert "Plan 1 v1" in first
        for entry in ENTRIES:
            answer = await chat.say(entry.format(key=key))
            assert WARNING in answer, (entry, answer)
        # the plan is what it was before: no version was made, nothing was changed
        assert (chat.card.plan_id, chat.card.version) == (1, 1)
        assert "Pay now" not in chat.transcript
        result = await chat.say("approve")
        assert "✓ Run 1: Done" in result, result

    outbox = await deputy.registry.get("local").client.outbox()  # type: ignore[union-attr]
    assert len(outbox) == 3 and not leaked(repr(outbox))
    assert leaked(chat.transcript) == []
    assert leaked(log.getvalue()) == []
    assert leaked(await audit_text(database)) == []
    assert leaked(await database_text(database)) == []
