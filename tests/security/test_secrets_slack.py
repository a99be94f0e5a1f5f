"""A key pasted into Slack — the slash command, a mention, a thread reply, a mention in the
thread, the Modify form, `/deputy connect X` — is answered with a private warning only.

Through the real Slack adapter over signed HTTP requests, the real core and the fake Web
API: no message Slack would show carries the key (not even the slash command's public
root message), and it is nowhere in the database, the audit export or the DEBUG log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.flow.secret_guard import WARNING
from bot.settings import Settings, load_settings
from bot.store.database import Database
from tests.adapters.slack import wire
from tests.adapters.slack.live import Live, eventually, live_slack
from tests.core.conftest import seeded_app
from tests.fakes.slack_api import FakeSlackApi
from tests.security.keys import KEYS, audit_text, database_text, debug_json_log, leaked


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01,
                         retry_max_seconds=0.05, step_timeout_seconds=5, worker_poll_seconds=30)


@pytest.fixture
async def app(database: Database, settings: Settings) -> Deputy:
    return await seeded_app(database, settings)


@pytest.fixture
async def live(app: Deputy, slack_api: FakeSlackApi) -> AsyncIterator[Live]:
    async with live_slack(app, slack_api) as running:
        yield running


def warnings_to(live: Live, user: str) -> int:
    return sum(WARNING.replace("`", "") in str(c.params.get("text", "")).replace("`", "")
               for c in live.api.of("chat.postEphemeral") if c.params.get("user") == user)


async def test_a_key_at_every_slack_entry_point_is_answered_privately_and_kept_nowhere(
        live: Live, app: Deputy, database: Database) -> None:
    with debug_json_log() as log:
        await live.slash("add a note to Acme: renewal due in May")
        card = await live.card()
        await live.settle()
        assert card.values["modify"]  # the Modify button carries the editable arguments
        sent = 0
        for n, key in enumerate(KEYS.values()):
            await live.slash(f"chase overdue invoices with {key}", trigger=f"trigger-k{n}")
            await live.slash(f"connect {key}", trigger=f"trigger-c{n}")
            mention = wire.mention(f"<@UDEPUTY> look up Acme, key {key}", ts=f"1760001{n:03d}.000100")
            assert await live.send(wire.event_callback(mention, event_id=f"Ev0MENTION{n}"), wire.JSON) == 200
            reply = wire.message(f"use this one: {key}", ts=f"1760002{n:03d}.000200", thread_ts=card.thread_ts)
            assert await live.send(wire.event_callback(reply, event_id=f"Ev0REPLY{n}"), wire.JSON) == 200
            in_thread = wire.mention(f"<@UDEPUTY> password is {key}", ts=f"1760003{n:03d}.000300",
                                     thread_ts=card.thread_ts)
            assert await live.send(wire.event_callback(in_thread, event_id=f"Ev0THREAD{n}"), wire.JSON) == 200
            # the Modify form, with the key typed into the note's body
            assert await live.click(card, "modify", user="U0ANNA", action_ts=f"1760004{n:03d}.1") == 200
            await eventually(lambda n=n: len(live.api.of("views.open")) > n, 10, "the Modify form")
            view = live.api.of("views.open")[-1].params["view"]
            [body_input] = [b["block_id"] for b in view["blocks"] if b.get("block_id", "").endswith(":body")]
            submitted = wire.view_submission(view, {body_input: f"renewal due in May; api {key}"}, user="U0ANNA")
            assert await live.send(wire.interactive(submitted), wire.FORM) == 200
            sent += 6
            await eventually(lambda sent=sent: warnings_to(live, "U0ANNA") >= sent, 10, "the warnings")
        await live.settle()
        assert warnings_to(live, "U0ANNA") == sent
        # nothing was planned or changed: one goal, its plan still at version 1, one card
        assert len(live.cards()) == 1
        root_posts = [c for c in live.api.of("chat.postMessage") if not c.params.get("thread_ts")]
        assert len(root_posts) == 1, "a refused goal gets no public root message"
        assert await live.click(card, "approve", user="U0ANNA") == 200
        await eventually(lambda: len(live.thread_posts(card.thread_ts)) >= 2, 10, "the result")
        await live.settle()

    shown = "\n".join(repr(c.params) for c in live.api.calls)
    assert "renewal due in May" in shown and leaked(shown) == []
    notes = [c for c in live.api.calls if "Done" in str(c.params.get("text", ""))]
    assert notes, "the unchanged plan ran"
    assert leaked(log.getvalue()) == []
    audit = await audit_text(database)
    assert audit.count('"secret_refused"') == sent and leaked(audit) == []
    assert leaked(await database_text(database)) == []
