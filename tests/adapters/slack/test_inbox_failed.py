"""What an operator has of the requests the planner gave up (bot/store/inbox.py, bot/cli/planner.py),
on both databases: ``deputy planner failed`` lists them — id, kind, workspace, attempts, the last
error's class — and never what was typed; the planner deletes those failed longer ago than the
retention, and ``deputy planner failed --purge`` does on demand."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select
from typer.testing import CliRunner

from bot.adapters.inbox import Attempt, Sealer, consume
from bot.adapters.inbox_writer import InboxWriter
from bot.cli import app as cli
from bot.store.database import Database
from bot.store.inbox import InboxRow
from bot.store.tables import utcnow
from bot.vault import generate_key

MASTER = generate_key("k1")  # the deployment's master key in the environment: its home exists
TYPED = "pay Acme with card 4242 4242 4242 4242"


def deputy(url: str, *args: str) -> str:
    """The operator's `deputy` command on the test's database."""
    result = CliRunner().invoke(cli, list(args), env={"DEPUTY_DATABASE_URL": url, "DEPUTY_MASTER_KEY": MASTER.entry()})
    assert result.exit_code == 0, result.output
    return result.output


async def _fail_one(database: Database, team: str) -> None:
    """Queue one request from ``team`` whose work raises on each of its three attempts."""
    sealer = Sealer("slack", "s")
    await InboxWriter(database, sealer).put("command", {"body": {"text": TYPED}}, team)
    stop = asyncio.Event()

    async def work(kind: str, payload: dict[str, Any], attempt: Attempt) -> None:
        raise LookupError(f"no such client in {payload['body']['text']}")

    async def give_up(kind: str, payload: dict[str, Any]) -> None:
        stop.set()

    await asyncio.wait_for(consume(database, sealer, work, poll=0.01, stop=stop, give_up=give_up,
                                   retry_seconds=0.05), 30)


async def _failed_days_ago(database: Database, days: float) -> None:
    async with database.session(all_teams=True) as session:
        await session.exec(update(InboxRow).values(failed_at=utcnow() - timedelta(days=days))
                           .where(col(InboxRow.failed_at).is_not(None)))  # type: ignore[call-overload]


async def _ids(database: Database) -> list[int]:
    async with database.session(all_teams=True) as session:
        return [r.id or 0 for r in (await session.exec(select(InboxRow).order_by(col(InboxRow.id)))).all()]


async def test_the_operator_lists_a_failed_request_without_what_was_typed(
        database: Database, database_url: str) -> None:
    assert "No failed requests." in await asyncio.to_thread(deputy, database_url, "planner", "failed")
    await _fail_one(database, "T0ACME")
    [row_id] = await _ids(database)
    listed = await asyncio.to_thread(deputy, database_url, "planner", "failed")
    [line] = [line for line in listed.splitlines() if line.split()[0] == str(row_id)]
    assert line.split()[1:5] == ["slack", "command", "T0ACME", "3"], listed
    assert line.split()[-1] == "LookupError", listed
    assert "4242" not in listed and "Acme with" not in listed and "no such client" not in listed


async def test_a_failing_request_is_logged_by_its_class_and_ids_never_by_what_was_typed(
        database: Database, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await _fail_one(database, "T0ACME")
    [row_id] = await _ids(database)
    attempts = [r.getMessage() for r in caplog.records if "failed: LookupError at " in r.getMessage()]
    assert len(attempts) == 3 and all(f"inbox row {row_id} (command)" in line for line in attempts), attempts
    assert "test_inbox_failed.py" in attempts[0]  # where it was raised, to look for the cause
    # neither the message (it quotes the goal) nor a traceback carrying it reaches the log
    assert "4242" not in caplog.text and "no such client" not in caplog.text and "Acme with" not in caplog.text


async def test_failed_requests_past_the_retention_are_deleted_by_the_planner_and_on_demand(
        database: Database, database_url: str) -> None:
    await _fail_one(database, "T0OLD")
    await _failed_days_ago(database, 15)  # past the default 14 days
    [old] = await _ids(database)
    await _fail_one(database, "T0RECENT")  # the planner that fails it purged the old one first
    [recent] = await _ids(database)
    assert recent != old
    await _failed_days_ago(database, 2)
    assert "Deleted 0 failed" in await asyncio.to_thread(deputy, database_url, "planner", "failed", "--purge")
    assert await _ids(database) == [recent]
    purged = await asyncio.to_thread(deputy, database_url, "planner", "failed", "--purge", "--days", "1")
    assert "Deleted 1 failed request(s) older than 1 days." in purged
    assert await _ids(database) == []
