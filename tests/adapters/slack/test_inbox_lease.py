"""The inbox's lease (bot/store/inbox.py, bot/adapters/inbox.py), on both databases: a taken
request stays the taker's while its lease runs, is taken again once it expired, is deleted
only by its holder, and is given up (kept as failed, its sender told) after three attempts,
whether its work raised each time or its planner died each time. On PostgreSQL an idle
planner is woken by the queueing transaction's NOTIFY, not by its poll."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import parse_qsl

import pytest
from sqlmodel import select

from bot.adapters.inbox import Attempt, Sealer, consume
from bot.adapters.slack.after_ack import GAVE_UP
from bot.adapters.slack.app import SlackAdapter
from bot.store import inbox
from bot.store.database import Database
from bot.store.inbox import InboxRow
from tests.adapters.slack import wire
from tests.fakes.slack_api import FakeSlackApi


async def test_a_leased_request_is_taken_again_only_once_its_lease_expired(database: Database) -> None:
    async with database.session(all_teams=True) as session:
        await inbox.put(session, "slack", [("command", b"one")])
    async with database.session(all_teams=True) as session:
        [first] = await inbox.take(session, "slack", 10, "planner-a", lease_seconds=60)
    async with database.session(all_teams=True) as session:
        assert await inbox.take(session, "slack", 10, "planner-b", lease_seconds=60) == []
        # planner-a's lease is cut short, as if it had stopped renewing long ago
        await inbox.release(session, first.id or 0, "planner-a", after_seconds=-1)
    async with database.session(all_teams=True) as session:
        [again] = await inbox.take(session, "slack", 10, "planner-b", lease_seconds=60)
    assert (again.id, again.attempts, first.attempts) == (first.id, 2, 1)
    async with database.session(all_teams=True) as session:
        await inbox.done(session, [first.id or 0], "planner-a")  # not a's any more: stays
        assert [r.claimed_by for r in (await session.exec(select(InboxRow))).all()] == ["planner-b"]
        await inbox.done(session, [again.id or 0], "planner-b")
        assert (await session.exec(select(InboxRow))).all() == []


async def _run(database: Database, work: Any, told: list[str]) -> None:
    stop = asyncio.Event()

    async def give_up(kind: str, payload: dict[str, Any]) -> None:
        told.append(f"{kind}:{payload['body']['n']}")
        stop.set()

    await asyncio.wait_for(consume(database, Sealer("slack", "s"), work, poll=0.01, stop=stop, lease_seconds=5,
                                   give_up=give_up, retry_seconds=0.05), 30)


async def test_a_request_whose_work_keeps_failing_is_given_up_after_three_attempts(database: Database) -> None:
    sealer = Sealer("slack", "s")
    async with database.session(all_teams=True) as session:
        await inbox.put(session, "slack", [("command", sealer.seal("command", {"body": {"n": 7}}))])
    attempts: list[int] = []

    async def work(kind: str, payload: dict[str, Any], attempt: Attempt) -> None:
        attempts.append(attempt.number)
        raise RuntimeError("planning blew up")

    told: list[str] = []
    await _run(database, work, told)
    assert attempts == [1, 2, 3] and told == ["command:7"]
    async with database.session(all_teams=True) as session:
        [row] = (await session.exec(select(InboxRow))).all()
        assert row.failed_at is not None and row.attempts == 3
        assert await inbox.take(session, "slack", 10, "another", lease_seconds=0) == []  # never again


async def test_a_request_whose_planner_died_three_times_is_given_up_unworked(database: Database) -> None:
    sealer = Sealer("slack", "s")
    async with database.session(all_teams=True) as session:
        await inbox.put(session, "slack", [("app_mention", sealer.seal("app_mention", {"body": {"n": 8}}))])
    for dead in ("a", "b", "c"):  # each took it and died: its lease expired at once
        async with database.session(all_teams=True) as session:
            assert len(await inbox.take(session, "slack", 10, dead, lease_seconds=-1)) == 1
    worked: list[int] = []

    async def work(kind: str, payload: dict[str, Any], attempt: Attempt) -> None:
        worked.append(attempt.number)

    told: list[str] = []
    await _run(database, work, told)
    assert worked == [] and told == ["app_mention:8"]
    async with database.session(all_teams=True) as session:
        [row] = (await session.exec(select(InboxRow))).all()
        assert row.failed_at is not None and row.last_error == "planner stopped"


async def test_a_redo_gets_what_the_first_attempt_noted(database: Database) -> None:
    sealer = Sealer("slack", "s")
    async with database.session(all_teams=True) as session:
        await inbox.put(session, "slack", [("command", sealer.seal("command", {"body": {"n": 9}}))])
    seen: list[tuple[int, dict[str, Any]]] = []

    async def work(kind: str, payload: dict[str, Any], attempt: Attempt) -> None:
        seen.append((attempt.number, dict(attempt.notes)))
        if attempt.number == 1:
            await attempt.note(root_ts="1760000001.000001")
            raise RuntimeError("died after posting the root")

    stop = asyncio.Event()
    task = asyncio.create_task(consume(database, sealer, work, poll=0.01, stop=stop, retry_seconds=0.05))
    for _ in range(300):
        if len(seen) == 2:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert seen == [(1, {}), (2, {"root_ts": "1760000001.000001"})]
    async with database.session(all_teams=True) as session:
        assert (await session.exec(select(InboxRow))).all() == []


# PostgreSQL only: SQLite has no LISTEN/NOTIFY (the planner polls there)
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_on_postgresql_an_idle_planner_is_woken_by_the_queueing_not_by_its_poll(
        database: Database) -> None:
    assert database.engine.dialect.name == "postgresql"
    sealer = Sealer("slack", "s")
    arrived = asyncio.Event()

    async def work(kind: str, payload: dict[str, Any], attempt: Attempt) -> None:
        arrived.set()

    stop = asyncio.Event()
    # a fallback poll of 30 s: only the NOTIFY can bring the request in within seconds
    task = asyncio.create_task(consume(database, sealer, work, poll=30, stop=stop))
    await asyncio.sleep(2)  # LISTENing, and idle in its wait
    queued_at = asyncio.get_running_loop().time()
    async with database.session(all_teams=True) as session:
        await inbox.put(session, "slack", [("command", sealer.seal("command", {"body": {}}))])
    await asyncio.wait_for(arrived.wait(), 10)
    took = asyncio.get_running_loop().time() - queued_at
    stop.set()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert took < 5, took


async def test_the_sender_of_a_request_given_up_is_told_privately(slack_api: FakeSlackApi,
                                                                  adapter: SlackAdapter) -> None:
    command = dict(parse_qsl(wire.slash_command("pay Acme, card 4242 4242 4242 4242")))
    await adapter.give_up("command", {"body": command, "action": None})
    mention = json.loads(wire.event_callback(wire.mention("<@UDEPUTY> hi", thread_ts="1760000001.000001")))
    await adapter.give_up("app_mention", {"body": mention, "action": None})
    told = slack_api.of("chat.postEphemeral")
    assert [(c.params["channel"], c.params["user"], c.params.get("thread_ts")) for c in told] == [
        (wire.CHANNEL, "U0ANNA", None), (wire.CHANNEL, "U0ANNA", "1760000001.000001")]
    assert all(c.params["text"] == GAVE_UP and "4242" not in c.params["text"] for c in told)


async def test_a_take_leases_at_most_its_limit_oldest_first(database: Database) -> None:
    """On PostgreSQL the choice was once a subquery run again for each row the UPDATE leased:
    take(limit=1) leased every row waiting (a burst of 300 went to one planner at once)."""
    async with database.session(all_teams=True) as session:
        await inbox.put(session, "slack", [("command", f"r{i}".encode()) for i in range(10)])
    async with database.session(all_teams=True) as session:
        first = await inbox.take(session, "slack", 1, "planner-a", lease_seconds=60)
    async with database.session(all_teams=True) as session:
        three = await inbox.take(session, "slack", 3, "planner-a", lease_seconds=60)
    assert [r.sealed for r in first + three] == [b"r0", b"r1", b"r2", b"r3"]


async def test_a_planner_works_on_at_most_its_concurrency_at_once(database: Database) -> None:
    sealer = Sealer("slack", "s")
    async with database.session(all_teams=True) as session:
        await inbox.put(session, "slack", [("command", sealer.seal("command", {"body": {"n": i}})) for i in range(12)])
    at_once, most, finished = [0], [0], [0]
    stop = asyncio.Event()

    async def work(kind: str, payload: dict[str, Any], attempt: Attempt) -> None:
        at_once[0] += 1
        most[0] = max(most[0], at_once[0])
        await asyncio.sleep(0.02)
        at_once[0] -= 1
        finished[0] += 1
        if finished[0] == 12:
            stop.set()

    await asyncio.wait_for(consume(database, sealer, work, poll=0.01, stop=stop, concurrency=3), 30)
    assert (finished[0], most[0]) == (12, 3)
