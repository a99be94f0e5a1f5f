"""A read step is recorded in one transaction, after its call: nothing of it is committed
before the call (docs/reliability.md, "A read step commits once"). A worker that dies while
a read is under way, or after it answered and before its record committed, leaves no row of
it: the run resumes by reading again, and a write the run made before it is not sent again.
A run taken from the worker while its read was under way records nothing of that read and
starts nothing after it.

The provider is a real HTTP server on 127.0.0.1 that counts what reaches it
(tests/core/provider.py); it does not honour idempotency keys here, so a write sent twice
would be two effects, and a write found *started* on resume would fail the run as "outcome
unknown" instead of succeeding."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sqlalchemy import update

from bot.app import Deputy
from bot.domain import Actor, PlanDraft, Step
from bot.execution.worker import Worker
from bot.settings import Settings
from bot.store import runs
from bot.store.database import Database
from bot.store.goals import StepVerdict
from bot.store.tables import AuditRow, RunRow
from tests.core.parallel_world import only_run, provider_app
from tests.core.provider import Provider
from tests.support.approved import queue_approved
from tests.support.builder import FakeClock

REQUESTER = Actor(platform="shell", team_id="local", user_id="reader", display_name="Reader")

# a write, then a read: one by one, so the write has finished before the read is sent
WRITE_THEN_READ = PlanDraft(summary="Send, then read", steps=[
    Step(id="s1", action="slowapi.send", args={"label": "w1"}, note="Send w1"),
    Step(id="s2", action="slowapi.read", args={"label": "r1"}, note="Read r1")])
# a read, then a write that uses it
READ_THEN_WRITE = PlanDraft(summary="Read, then send", steps=[
    Step(id="s1", action="slowapi.read", args={"label": "r1"}, note="Read r1"),
    Step(id="s2", action="slowapi.send", args={"label": {"$ref": "s1.label"}}, note="Send what was read")])


# the provider does not answer a repeated Idempotency-Key from its first result: a step
# sent twice is seen twice
pytestmark = pytest.mark.parametrize("provider", [False], ids=["no-keys"], indirect=True)


async def queued(app: Deputy, draft: PlanDraft) -> int:
    verdicts = [StepVerdict(effect=spec.effect.value, verdict="allow", reason="test", rule="test")
                for s in draft.steps if (spec := app.registry.spec(s.action)) is not None]
    return await queue_approved(app.database, REQUESTER, draft, verdicts, channel="reads",
                                message_id=f"reads-{time.monotonic_ns()}")


def sent(provider: Provider, path: str, label: str) -> int:
    return sum(1 for a in provider.arrivals if a.path == path and a.label == label)


async def rows(database: Database, run_id: int) -> dict[str, str]:
    async with database.session(all_teams=True) as session:
        return {sid: r.status for sid, r in (await runs.step_results(session, run_id)).items()}


async def audited_calls(database: Database) -> list[str]:
    async with database.session(all_teams=True) as session:
        found = await session.exec(AuditRow.__table__.select().where(AuditRow.__table__.c.kind == "call"))  # type: ignore[attr-defined]
        return [r.data["step"] for r in found]


async def test_a_worker_dying_during_a_read_leaves_no_row_and_the_resume_reads_again_without_writing_again(
        database: Database, settings: Settings, provider: Provider, fake_clock: FakeClock) -> None:
    app = await provider_app(database, settings, provider, parallel_steps=1, clock=fake_clock,
                             run_lease_seconds=0.2)
    run_id = await queued(app, WRITE_THEN_READ)
    provider.hold("r1")
    first = asyncio.create_task(Worker(app, "first").run_once())
    await provider.until(lambda: provider.in_flight == 1 and sent(provider, "/read", "r1") == 1)
    # the read is at the provider: the write is recorded as done, the read not at all
    assert await rows(database, run_id) == {"s1": "succeeded"}
    first.cancel()  # the worker dies with the read in flight
    with pytest.raises(asyncio.CancelledError):
        await first
    provider.release("r1")

    fake_clock.advance(seconds=1)  # the dead worker's lease ran out
    assert await Worker(app, "after").run_once()
    run, results = await only_run(database)
    assert run.status == "succeeded", run.error
    assert sent(provider, "/read", "r1") == 2  # read again
    assert provider.effects == [(f"deputy-run{run_id}-s1", "w1")]  # written once
    assert results["s2"].result == {"label": "r1", "value": "read r1"}
    assert results["s2"].attempts == 1 and results["s2"].started_at is not None


async def test_a_worker_dying_after_a_read_answered_and_before_its_record_committed_reads_again(
        database: Database, settings: Settings, provider: Provider, fake_clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = await provider_app(database, settings, provider, parallel_steps=1, clock=fake_clock,
                             run_lease_seconds=0.2)
    run_id = await queued(app, WRITE_THEN_READ)
    record = runs.renew_and_record_read

    async def die(*args: Any, **kwargs: Any) -> None:
        raise asyncio.CancelledError  # the process stops inside the read's transaction

    monkeypatch.setattr(runs, "renew_and_record_read", die)
    with pytest.raises(asyncio.CancelledError):
        await Worker(app, "first").run_once()
    assert sent(provider, "/read", "r1") == 1  # it was read, and answered
    assert await rows(database, run_id) == {"s1": "succeeded"}  # the read's transaction rolled back
    assert await audited_calls(database) == ["s1"]  # its audit record with it

    monkeypatch.setattr(runs, "renew_and_record_read", record)
    fake_clock.advance(seconds=1)
    assert await Worker(app, "after").run_once()
    run, results = await only_run(database)
    assert run.status == "succeeded", run.error
    assert sent(provider, "/read", "r1") == 2
    assert provider.effects == [(f"deputy-run{run_id}-s1", "w1")]
    assert await rows(database, run_id) == {"s1": "succeeded", "s2": "succeeded"}
    assert await audited_calls(database) == ["s1", "s2"]


async def test_a_run_taken_from_the_worker_during_a_read_records_nothing_of_it_and_starts_nothing_after_it(
        database: Database, settings: Settings, provider: Provider, fake_clock: FakeClock) -> None:
    app = await provider_app(database, settings, provider, clock=fake_clock, run_lease_seconds=0.2)
    run_id = await queued(app, READ_THEN_WRITE)
    provider.hold("r1")
    first = asyncio.create_task(Worker(app, "first").run_once())
    await provider.until(lambda: provider.in_flight == 1)
    async with database.session(all_teams=True) as session:  # another worker claimed it meanwhile
        await session.exec(update(RunRow).where(RunRow.id == run_id).values(claimed_by="other"))  # type: ignore[call-overload, arg-type]
    provider.release("r1")
    assert await first
    assert await rows(database, run_id) == {}  # the read is not recorded as this worker's
    assert sent(provider, "/send", "r1") == 0  # and the write after it was never sent
    assert await audited_calls(database) == ["s1"]  # the read happened, and is audited

    fake_clock.advance(seconds=1)  # "other" died too: its lease runs out
    assert await Worker(app, "after").run_once()
    run, results = await only_run(database)
    assert run.status == "succeeded", run.error
    assert sent(provider, "/read", "r1") == 2
    assert provider.effects == [(f"deputy-run{run_id}-s2", "r1")]
    assert results["s1"].status == "succeeded" and results["s2"].status == "succeeded"


async def test_a_read_for_each_item_is_recorded_once_with_every_item_in_order_and_each_call_audited(
        database: Database, settings: Settings, provider: Provider) -> None:
    app = await provider_app(database, settings, provider)
    run_id = await queued(app, PlanDraft(summary="Read each", steps=[
        Step(id="s1", action="slowapi.list_items", args={"count": 3}, note="List"),
        Step(id="s2", action="slowapi.read", args={"label": {"$ref": "item.label"}}, for_each="s1.items",
             note="Read each")]))
    assert await Worker(app, "one").run_once()
    run, results = await only_run(database)
    assert run.status == "succeeded", run.error
    assert results["s2"].args == [{"label": f"item-{i}"} for i in range(3)]
    assert [r["label"] for r in results["s2"].result["results"]] == [f"item-{i}" for i in range(3)]
    assert results["s2"].idempotency_key == f"deputy-run{run_id}-s2" and results["s2"].attempts == 1
    assert sorted(await audited_calls(database)) == ["s1", "s2", "s2", "s2"]
