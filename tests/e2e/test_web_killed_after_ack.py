"""With DEPUTY_INBOX_COMMIT_BEFORE_ACK=true, a `web` (`deputy serve --no-plan`) SIGKILLed the
moment Slack has its ack loses nothing: the ack leaves only once the request's inbox row is
committed, so a `planner` started after the kill still plans it. Separate OS processes on
PostgreSQL against the fake Slack.

To hold the moment between the ack and the commit open, the test locks the inbox table
(no row can commit) while a signed slash command is sent, and kills `web` as soon as the
answer arrives. With the setting off the answer comes at once, the kill lands before the
insert could commit, and the request is gone: the second test shows that window (the
default's, docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from bot.vault.keys import generate_key
from tests.adapters.slack import wire
from tests.adapters.slack.conftest import USERS
from tests.adapters.slack.live import buttons_of
from tests.fakes.slack_api import FakeSlackApi
from tests.support import postgres
from tests.support.deputy_process import Served, deputy_serve, upgraded_home

pytestmark = pytest.mark.slow

TOKEN = "xoxb-0000-web-killed-token"
GOAL = "add a contact Jane Doe, jane@acme.example, at Acme Corp"
LOCKED = 1.5  # seconds the inbox stays locked while the slash command is sent
WEB = ("serve", "--platforms", "slack", "--no-worker", "--no-scheduler", "--no-plan")


def test_a_web_killed_right_after_its_ack_loses_nothing(tmp_path: Path) -> None:
    with postgres.throwaway_database(postgres.server_url()) as url:
        asyncio.run(scenario(url, tmp_path, before_ack=True))


def test_acking_first_loses_a_request_to_that_kill(tmp_path: Path) -> None:
    with postgres.throwaway_database(postgres.server_url()) as url:
        asyncio.run(scenario(url, tmp_path, before_ack=False))


async def scenario(url: str, tmp: Path, *, before_ack: bool) -> None:
    slack = await FakeSlackApi(users=dict(USERS), tokens={TOKEN}).start()
    env = {"DEPUTY_DATABASE_URL": url, "DEPUTY_MASTER_KEY": generate_key("k1").entry(),
           "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": wire.SECRET, "DEPUTY_SLACK_API_URL": slack.base_url,
           "DEPUTY_SLACK_POST_INTERVAL_SECONDS": "0",
           "DEPUTY_INBOX_COMMIT_BEFORE_ACK": "true" if before_ack else "false"}
    home = tmp / "home"
    await upgraded_home(home, env)
    admin = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with deputy_serve(home, env, command=WEB) as web:
            acked_after = await ack_then_kill(web, admin, slack)
            web_said = await web.output()
        queued = await admin.fetchval("SELECT count(*) FROM inbox")
        if not before_ack:
            # answered while no row could commit, killed before it did: Slack was told
            # "taken", and nothing is left to plan
            assert acked_after < LOCKED and queued == 0, (acked_after, queued, web_said[-3000:])
            return
        # the ack waited for the commit, which waited for the lock
        assert acked_after >= LOCKED, (acked_after, web_said[-3000:])
        assert queued == 1, web_said[-3000:]
        async with deputy_serve(home, env, command=("planner", "run")) as planner:
            try:
                [root, card] = await slack.wait_for("chat.postMessage", 2, within=60)
            except AssertionError as err:
                raise AssertionError(f"{err}\n--- planner said ---\n{(await planner.output())[-3000:]}") from None
        assert root.params["text"].endswith(f"asked: {GOAL}")
        assert card.params["thread_ts"] and buttons_of(card.params["blocks"])[0]
    finally:
        await admin.close()
        await slack.stop()


async def ack_then_kill(web: Served, admin: asyncpg.Connection, slack: FakeSlackApi) -> float:
    """Lock the inbox, send a slash command, SIGKILL `web` the moment its answer (200)
    arrives, unlock after ``LOCKED`` seconds; seconds from the send to the answer."""
    lock = admin.transaction()
    await lock.start()
    # INSERT needs ROW EXCLUSIVE, which this mode excludes; reads go on
    await admin.execute("LOCK TABLE inbox IN SHARE ROW EXCLUSIVE MODE")
    body = wire.slash_command(GOAL, response_url=slack.response_url, trigger=slack.trigger_id())
    sent = time.monotonic()

    async def send() -> float:
        async with aiohttp.ClientSession() as session, session.post(
                web.url + "/slack/events", data=body.encode(),
                headers={"Content-Type": wire.FORM, **wire.sign(body)}) as response:
            assert response.status == 200, await response.text()
            web.process.kill()  # SIGKILL: no graceful stop, no flush of anything pending
            return time.monotonic() - sent

    answered = asyncio.create_task(send())
    await asyncio.wait({answered}, timeout=LOCKED)
    await lock.commit()
    acked_after = await asyncio.wait_for(answered, 60)
    await web.process.wait()
    await asyncio.sleep(0.5)  # a commit still on its way would land by now
    return acked_after
