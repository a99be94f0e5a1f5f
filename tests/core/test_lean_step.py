"""A read step costs the database one transaction and three statements, after its call: the
lease renewed, the step recorded start and end at once, its audit record (on PostgreSQL two:
the lease, the step row and the lock of the team's audit chain are one statement), on a Core
connection, no ORM session. A write step costs two
transactions and six statements (seven on PostgreSQL): its start (committed before the call,
with the policy's rate limit checked) and its end (result, lease renewal and audit record together). A worker with no chat port
for the goal's platform draws no card, and a process that has one edits the card at most
once per ``card_edit_seconds`` while the run progresses, the final state always last.

The counts are a regression guard: a change that adds a transaction or a statement to every
step fails here (the executor before issue 22's lean step ran 9 statements in 4
transactions per step, plus 6 statements redrawing the card; then 7 on both databases, until
the audit record came last in the step's end and its INSERT checked the chain's head itself;
then a read cost what a write does, until its start stopped being committed before its call)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from bot.app import Deputy
from bot.chat.replies import CardState, PlanCard, StepState
from bot.domain import Actor, PlanDraft, Step
from bot.execution.worker import Worker
from bot.flow import card_pacing
from bot.settings import Settings
from bot.store import runs
from bot.store.database import Database
from tests.core.parallel_world import only_run, provider_app
from tests.core.provider import Provider
from tests.support.approved import allowed, queue_approved
from tests.support.chat import Chat

REQUESTER = Actor(platform="shell", team_id="local", user_id="lean", display_name="Lean")


def reads(count: int) -> PlanDraft:
    return PlanDraft(summary=f"{count} reads", steps=[
        Step(id=f"s{i}", action="slowapi.read", args={"label": f"r{i}"}, note=f"Read {i}")
        for i in range(1, count + 1)])


@dataclass
class Counted:
    statements: list[str] = field(default_factory=list)
    commits: int = 0
    sessions: int = 0  # ORM sessions that took a connection


@contextmanager
def counting(database: Database) -> Iterator[Counted]:
    counted = Counted()
    engine = database.engine.sync_engine

    def statement(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        counted.statements.append(sql)

    def commit(conn: Any) -> None:
        counted.commits += 1

    def session(*args: Any) -> None:
        counted.sessions += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    event.listen(OrmSession, "after_begin", session)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
        event.remove(OrmSession, "after_begin", session)


async def queue(app: Deputy, draft: PlanDraft) -> None:
    """An approved run of ``draft`` on the shell, as the approval flow leaves it."""
    await queue_approved(app.database, REQUESTER, draft, allowed(draft), channel="lean",
                         message_id=f"lean-{time.monotonic_ns()}")


async def executed(app: Deputy, draft: PlanDraft) -> Counted:
    await queue(app, draft)
    with counting(app.database) as counted:
        assert await Worker(app, "lean").run_once()
    return counted


def writes(count: int) -> PlanDraft:
    return PlanDraft(summary=f"{count} writes", steps=[
        Step(id=f"s{i}", action="slowapi.send", args={"label": f"w{i}"}, note=f"Send {i}")
        for i in range(1, count + 1)])


async def per_step(app: Deputy, plan: Any) -> tuple[float, float, list[str], float]:
    """Transactions, statements and ORM sessions per step (11 steps minus 1: the run's own
    part out)."""
    one = await executed(app, plan(1))
    eleven = await executed(app, plan(11))
    return ((eleven.commits - one.commits) / 10, (len(eleven.statements) - len(one.statements)) / 10,
            eleven.statements, (eleven.sessions - one.sessions) / 10)


async def test_a_read_step_costs_one_transaction_and_three_statements(
        database: Database, settings: Settings, provider: Provider) -> None:
    # steps one by one, so every step's records are its own; no shell port in this process
    app = await provider_app(database, settings, provider, parallel_steps=1)
    transactions, statements, shown, sessions = await per_step(app, reads)
    assert transactions <= 1, f"{transactions} transactions per step"
    # and that transaction is a Core connection's, not an ORM session's (bot/store/plain_tx.py)
    assert sessions == 0, f"{sessions} ORM sessions per read step"
    # after the call: lease, the step row (start and end at once), the audit record (its
    # INSERT checks that the chain's head is the record this process wrote last). SQLite's
    # transaction has written before it appends, so it holds the write lock already;
    # PostgreSQL locks the team's chain with a statement, and renews the lease and inserts
    # the step row with one (the INSERT selects from the UPDATE's RETURNING)
    # PostgreSQL: the UPDATE's RETURNING also takes the chain's lock (two statements)
    most = 3 if database.is_sqlite else 2
    assert statements <= most, f"{statements} statements per step:\n" + "\n".join(
        s.split("\n")[0] for s in shown)
    async with database.session(all_teams=True) as session:
        done = [r for r in await runs.list_runs(session) if r.status == "succeeded"]
    assert len(done) == 2  # both runs really ran
    assert len([a for a in provider.arrivals if a.path == "/read"]) == 12


async def test_a_write_step_costs_two_transactions_and_six_or_seven_statements(
        database: Database, settings: Settings, provider: Provider) -> None:
    app = await provider_app(database, settings, provider, parallel_steps=1)
    transactions, statements, shown, sessions = await per_step(app, writes)
    # the start reads the team's policy through the ORM; the end is plain statements only
    assert sessions == 1, f"{sessions} ORM sessions per write step"
    # the start (lease, the team policy's version for its rate limit, step row) commits
    # before the call; then the end (step row, lease, audit record, and on PostgreSQL the
    # chain's lock)
    assert transactions == 2, f"{transactions} transactions per step"
    most = 6 if database.is_sqlite else 7
    assert statements <= most, f"{statements} statements per step:\n" + "\n".join(
        s.split("\n")[0] for s in shown)
    assert len(provider.effects) == 12


async def test_a_worker_without_a_port_for_the_platform_draws_no_card(
        database: Database, settings: Settings, provider: Provider) -> None:
    app = await provider_app(database, settings, provider)
    assert "shell" not in app.ports
    counted = await executed(app, reads(3))
    assert not [s for s in counted.statements if "chat_messages" in s], "the card was looked up"
    async with database.session(all_teams=True) as session:
        assert [r.status for r in await runs.list_runs(session)] == ["succeeded"]


async def test_the_card_is_edited_at_most_once_a_second_and_ends_on_the_final_state(
        database: Database, settings: Settings, provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    provider.latency = 0.3  # five steps one by one: 1.5 s of calls, a step done every 0.3 s
    app = await provider_app(database, settings, provider, reads(5), parallel_steps=1)
    chat = Chat(app)
    edits: list[tuple[float, PlanCard]] = []
    update = chat.port.update

    async def keep(ref: Any, reply: Any) -> None:
        if isinstance(reply, PlanCard):
            edits.append((time.monotonic(), reply))
        await update(ref, reply)

    monkeypatch.setattr(chat.port, "update", keep)
    answer = await chat.say("read five things")  # reads only: it runs without an approval
    assert "✓ Run 1: Done" in answer
    # every step's line was still shown, in plan order
    shown = [line.strip() for line in answer.splitlines() if line.strip().startswith("✓ ")]
    assert [line.split(".")[0] for line in shown[:5]] == [f"✓ {i}" for i in range(1, 6)]
    running = [(at, card) for at, card in edits if card.state is CardState.RUNNING]
    assert running, "the run's progress was never shown"
    gaps = [b - a for (a, _), (b, _) in zip(running, running[1:], strict=False)]
    assert all(gap >= 0.95 for gap in gaps), f"edits closer than a second apart: {gaps}"
    assert len(running) <= 3  # 1.5 s of steps: at once, then at most once a second
    final = edits[-1][1]
    assert final.state is CardState.SUCCEEDED
    assert [s.state for s in final.steps] == [StepState.DONE] * 5
    run, results = await only_run(database)
    assert run.status == "succeeded" and len(results) == 5


async def test_a_redraw_due_while_a_slow_one_is_under_way_waits_a_second_from_its_edit(
        database: Database, settings: Settings, provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    """A redraw's reads can be slow (a busy database): the next edit still comes a second
    after the previous edit, not a second after the previous redraw began."""
    provider.latency = 0.3  # eight steps one by one: 2.4 s of calls
    app = await provider_app(database, settings, provider, reads(8), parallel_steps=1)
    chat = Chat(app)
    edits: list[tuple[float, PlanCard]] = []
    update = chat.port.update
    refresh = card_pacing.refresh_card
    calls: list[int] = []

    async def keep(ref: Any, reply: Any) -> None:
        if isinstance(reply, PlanCard):
            edits.append((time.monotonic(), reply))
        await update(ref, reply)

    async def slowly(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 2:  # the first redraw timed by the interval: its reads take 0.8 s
            await asyncio.sleep(0.8)
        await refresh(*args, **kwargs)

    monkeypatch.setattr(chat.port, "update", keep)
    monkeypatch.setattr(card_pacing, "refresh_card", slowly)
    assert "✓ Run 1: Done" in await chat.say("read eight things")
    running = [at for at, card in edits if card.state is CardState.RUNNING]
    gaps = [b - a for a, b in zip(running, running[1:], strict=False)]
    assert len(running) >= 2 and all(gap >= 0.95 for gap in gaps), f"edits closer than a second apart: {gaps}"
