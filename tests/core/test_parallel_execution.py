"""Parallel execution keeps every guarantee: for-each items run concurrently but never more
than the integration's ``max_concurrency`` at once, each with its own idempotency key; the
report keeps plan and item order whatever order calls finish in; a failure stops new calls
while the running ones finish and are recorded; a 429 with Retry-After slows the whole
integration. Against a real HTTP provider on 127.0.0.1 (tests/core/provider.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlmodel import select

from bot.chat.replies import RunResult, StepState
from bot.domain import PlanDraft, Step
from bot.settings import Settings
from bot.store.audit_verify import verify
from bot.store.database import Database
from bot.store.tables import AuditRow
from tests.core.doubles import ScriptedPlanner
from tests.core.parallel_world import fan_out, only_run, provider_app
from tests.core.provider import Provider, slowapi
from tests.support.chat import Chat


async def test_items_run_concurrently_up_to_the_integrations_limit_each_with_its_own_key(
        database: Database, settings: Settings, provider: Provider) -> None:
    # every request waits until 4 are in flight (or 10 s): one by one would show 1, unbounded 10
    provider.gather = 4
    app = await provider_app(database, settings, provider, fan_out(10), max_concurrency=4)
    chat = Chat(app)
    await chat.say("send the items")
    assert "✓ Run 1: Done" in await chat.say("approve")
    assert provider.most_in_flight == 4
    run, results = await only_run(database)
    # results in item order, each item's write under its own key
    assert [r["sent"] for r in results["s2"].result["results"]] == [f"item-{i}" for i in range(10)]
    assert sorted(provider.effects) == sorted(
        (f"deputy-run{run.id}-s2-{i}", f"item-{i}") for i in range(10))
    async with database.session(all_teams=True) as session:
        chain = await verify(session)
    assert chain.ok, chain.summary()  # ten calls audited at once, one unbroken chain


async def test_one_at_a_time_when_parallel_steps_is_1(
        database: Database, settings: Settings, provider: Provider) -> None:
    provider.latency = 0.02
    app = await provider_app(database, settings, provider, fan_out(5), parallel_steps=1)
    chat = Chat(app)
    await chat.say("send the items")
    assert "✓ Run 1: Done" in await chat.say("approve")
    assert provider.most_in_flight == 1
    assert [label for _, label in provider.effects] == [f"item-{i}" for i in range(5)]


async def test_the_report_keeps_plan_and_item_order_whatever_finishes_first(
        database: Database, settings: Settings, provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    # item 0 is answered last, and the independent read (step 3) before the writes finish
    provider.hold("item-0")
    read = Step(id="s3", action="slowapi.read", args={"label": "late"}, note="Read late")
    app = await provider_app(database, settings, provider, fan_out(4, then=(read,)))
    chat = Chat(app)
    posted: list[Any] = []
    post = chat.port.post

    async def keep(where: Any, reply: Any) -> Any:
        posted.append(reply)
        return await post(where, reply)

    monkeypatch.setattr(chat.port, "post", keep)
    await chat.say("send the items")

    async def release_item_0() -> None:
        await provider.until(lambda: len(provider.effects) == 3 and any(a.label == "late" and a.status
                                                                for a in provider.arrivals))
        provider.release("item-0")

    releaser = asyncio.create_task(release_item_0())
    assert "✓ Run 1: Done" in await chat.say("approve")
    await releaser
    assert [label for _, label in provider.effects][-1] == "item-0"  # it finished last
    result = next(r for r in posted if isinstance(r, RunResult))
    assert [line[:4] for line in result.lines] == ["✓ 1.", "✓ 2.", "✓ 3."], result.lines
    assert [(s.number, s.state) for s in chat.card.steps] == [(n, StepState.DONE) for n in (1, 2, 3)]
    _, results = await only_run(database)
    assert [r["sent"] for r in results["s2"].result["results"]] == [f"item-{i}" for i in range(4)]


async def test_a_failure_stops_new_calls_and_the_running_ones_finish_and_are_recorded(
        database: Database, settings: Settings, provider: Provider) -> None:
    # three at a time: items 0 and 1 are in flight when item 2 is refused; 3…7 must not be sent
    provider.hold("item-0")
    provider.hold("item-1")
    provider.fail = {"item-2"}
    app = await provider_app(database, settings, provider, fan_out(8), max_concurrency=3)
    chat = Chat(app)
    await chat.say("send the items")

    async def release_after_the_failure() -> None:
        await provider.until(lambda: any(a.label == "item-2" and a.status == 400 for a in provider.arrivals))
        for _ in range(3000):  # the executor has taken the failure in: it audits it after stopping
            async with database.session(all_teams=True) as session:
                if (await session.exec(select(AuditRow).where(AuditRow.kind == "call_failed"))).first():
                    break
            await asyncio.sleep(0.01)
        provider.release("item-0")
        provider.release("item-1")

    releaser = asyncio.create_task(release_after_the_failure())
    result = await chat.say("approve")
    await releaser
    assert sorted(a.label for a in provider.arrivals if a.path == "/send") == ["item-0", "item-1", "item-2"]
    assert sorted(label for _, label in provider.effects) == ["item-0", "item-1"]
    assert "✗ Run 1: Stopped at step 2" in result and "refused item-2" in result
    run, results = await only_run(database)
    assert run.status == "failed" and results["s2"].status == "failed"
    async with database.session(all_teams=True) as session:
        records = (await session.exec(select(AuditRow))).all()
    calls = sorted(r.data["args"]["label"] for r in records if r.kind == "call" and r.data["step"] == "s2")
    failed = [r.data["args"]["label"] for r in records if r.kind == "call_failed"]
    assert calls == ["item-0", "item-1"] and failed == ["item-2"]


async def test_a_fan_out_that_fails_part_way_tells_the_replan_which_calls_went_through(
        database: Database, settings: Settings, provider: Provider) -> None:
    # one at a time: items 0 and 1 are sent, item 2 is refused, item 3 is never sent
    provider.fail = {"item-2"}
    app = await provider_app(database, settings, provider, fan_out(4), parallel_steps=1)
    chat = Chat(app)
    await chat.say("send the items")
    assert "✗ Run 1: Stopped at step 2" in await chat.say("approve")
    _, results = await only_run(database)
    went = results["s2"].result["went_through"]
    assert [(c["item"], c["args"], c["result"]["sent"]) for c in went] == [
        (0, {"label": "item-0"}, "item-0"), (1, {"label": "item-1"}, "item-1")]
    assert isinstance(app.planner, ScriptedPlanner)
    assert app.planner.replans[0].failed_step == "s2" and app.planner.replans[0].went_through == {"s2": went}


async def test_a_429_with_retry_after_slows_the_whole_integration(
        database: Database, settings: Settings, provider: Provider) -> None:
    # the first request is refused with Retry-After: 3; the other calls already sent finish
    # (2 s each), and no call of the integration goes out until the 3 s have passed
    provider.latency = 2.0
    provider.throttle(1, "3")
    app = await provider_app(database, settings, provider, fan_out(6), max_concurrency=4,
                             retry_max_seconds=10)
    chat = Chat(app)
    await chat.say("send the items")
    assert "✓ Run 1: Done" in await chat.say("approve")
    sends = [a for a in provider.arrivals if a.path == "/send"]
    throttled = sends[0]
    assert throttled.status == 429
    later = sends[4:]  # all but the first four, sent at once before the 429 came back
    assert len(later) == 3  # items 4 and 5, and the refused one again
    assert all(a.at >= throttled.at + 3 for a in later), [round(a.at - throttled.at, 2) for a in later]
    assert sorted(label for _, label in provider.effects) == [f"item-{i}" for i in range(6)]


async def test_steps_that_do_not_depend_on_each_other_run_at_once(
        database: Database, settings: Settings, provider: Provider) -> None:
    provider.gather = 3  # each read waits until three are in flight (or 10 s)
    plan = PlanDraft(summary="Read three things", steps=[
        Step(id=f"s{i}", action="slowapi.read", args={"label": f"r{i}"}, note=f"Read r{i}") for i in (1, 2, 3)])
    app = await provider_app(database, settings, provider, plan)
    result = await Chat(app).say("read three things")
    assert "✓ Run 1: Done" in result
    assert provider.most_in_flight == 3


async def test_no_more_steps_run_at_once_than_parallel_steps(
        database: Database, settings: Settings, provider: Provider) -> None:
    # r1 is held until the other three have answered: they take the one room left, in turn.
    # Each of them waits (up to 1 s) for a third request in flight, which only an extra step
    # started beside r1 and another one could be
    provider.hold("r1")
    provider.gather, provider.gather_timeout = 3, 1.0
    plan = PlanDraft(summary="Read four things", steps=[
        Step(id=f"s{i}", action="slowapi.read", args={"label": f"r{i}"}, note=f"Read r{i}") for i in (1, 2, 3, 4)])
    app = await provider_app(database, settings, provider, plan, parallel_steps=2)

    async def release_r1() -> None:
        await provider.until(lambda: sum(a.label != "r1" and bool(a.status) for a in provider.arrivals) == 3)
        provider.release("r1")

    releaser = asyncio.create_task(release_r1())
    assert "✓ Run 1: Done" in await Chat(app).say("read four things")
    await releaser
    assert provider.most_in_flight == 2


async def test_steps_failing_at_the_same_time_are_each_recorded_and_reported(
        database: Database, settings: Settings, provider: Provider) -> None:
    other = Provider(fail={"two"})
    await other.start()
    provider.fail = {"one"}
    provider.hold("one")
    other.hold("two")
    plan = PlanDraft(summary="Send to two systems", steps=[
        Step(id="s1", action="slowapi.send", args={"label": "one"}, note="Send one"),
        Step(id="s2", action="other.send", args={"label": "two"}, note="Send two")])
    app = await provider_app(database, settings, provider, plan, also=(slowapi(other, name="other"),))
    chat = Chat(app)
    posted: list[Any] = []
    post = chat.port.post

    async def keep(where: Any, reply: Any) -> Any:
        posted.append(reply)
        return await post(where, reply)

    chat.port.post = keep  # type: ignore[method-assign]
    await chat.say("send to two systems")

    async def release_both_in_flight() -> None:
        await provider.until(lambda: provider.in_flight == 1)
        await other.until(lambda: other.in_flight == 1)
        provider.release("one")
        other.release("two")

    try:
        releaser = asyncio.create_task(release_both_in_flight())
        assert "✗ Run 1: Stopped at step 1" in await chat.say("approve")
        await releaser
    finally:
        await other.stop()
    result = next(r for r in posted if isinstance(r, RunResult))
    assert [line[:4] for line in result.lines] == ["✗ 1.", "✗ 2."], result.lines
    assert "refused two" in result.lines[1]
    run, results = await only_run(database)
    assert run.failed_step == "s1" and {results["s1"].status, results["s2"].status} == {"failed"}
