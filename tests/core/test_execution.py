"""Durable execution: retries, failures and re-plans, and a crash between "step started"
and "step recorded" that must not repeat a side effect."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from bot.app import Deputy
from bot.errors import DatabaseUnavailable
from bot.execution.worker import Worker
from bot.registry import IntegrationEnv, discover
from bot.registry.registry import Registry
from bot.settings import Settings
from bot.store import runs as runs_repo
from bot.store.database import Database
from tests.core.conftest import Build, clock, make_app
from tests.core.doubles import (
    FlakyBackend,
    ScriptedPlanner,
    TransientError,
    flaky_integration,
    post_plan,
)
from tests.support.builder import FakeClock
from tests.support.chat import Chat


class Crash(BaseException):
    """A simulated process death: not an Exception, so no handler swallows it."""


def registry_with(backend: FlakyBackend) -> Registry:
    local = discover(["local"])
    loaded = local.get("local")
    assert loaded is not None
    return Registry([loaded, flaky_integration(backend)])


async def app_with(database: Database, settings: Settings, backend: FlakyBackend,
                   planner: ScriptedPlanner, *, clock: Callable[[], datetime] = clock) -> Deputy:
    registry = registry_with(backend)
    app = await make_app(database, settings, registry, planner=planner, clock=clock)
    registry.start(IntegrationEnv(settings=settings, database=database, clock=clock))
    return app


async def test_a_transient_failure_is_retried(database: Database, settings: Settings) -> None:
    # answered before processing (sent=False): safe to send again even without idempotency keys
    backend = FlakyBackend(fail_next=[TransientError("503 from flaky", sent=False),
                                      TransientError("429", retry_after=0.01, sent=False)])
    app = await app_with(database, settings, backend, ScriptedPlanner(post_plan("hello")))
    chat = Chat(app)
    await chat.say("post hello")
    result = await chat.say("approve")
    assert "✓ Run 1: Done" in result
    assert backend.calls == 3 and len(backend.effects) == 1


async def test_a_failure_stops_the_run_and_the_replan_needs_approval_again(
        database: Database, settings: Settings) -> None:
    backend = FlakyBackend(fail_text={"two": [TransientError("503", sent=False),
                                              TransientError("503", sent=False)]})
    planner = ScriptedPlanner(post_plan("one", "two", "three"), post_plan("two again", "three"))
    app = await app_with(database, settings.model_copy(update={"step_attempts": 2}), backend, planner)
    chat = Chat(app)
    await chat.say("post three things")
    result = await chat.say("approve")
    assert "✗ 2. Post two" in result
    assert "✗ Run 1: Stopped at step 2" in result and "gave up after 2 tries" in result
    assert [text for _, text in backend.effects] == ["one"]
    # the re-plan is a new version that needs approval again, and knows what ran
    assert "Plan 1 v2" in result and "awaiting approval" in result
    assert planner.replans[0].failed_step == "s2"
    assert planner.replans[0].completed["s1"]["posted"] == "one"
    assert "✓ Run 2: Done" in await chat.say("approve")
    assert [text for _, text in backend.effects] == ["one", "two again", "three"]


@pytest.mark.parametrize("sent", [True, None])
@pytest.mark.parametrize("idempotent", [True, False])
async def test_a_write_that_may_have_reached_the_provider_is_resent_only_with_a_key(
        database: Database, settings: Settings, idempotent: bool, sent: bool | None) -> None:
    """The retry rule: a failure after sending (a 500, a read timeout) is retried with the same
    key by an idempotent integration, and is "outcome unknown" for any other."""
    backend = FlakyBackend(idempotent=idempotent, fail_next=[TransientError("500 from flaky", sent=sent)])
    app = await app_with(database, settings, backend, ScriptedPlanner(post_plan("hello", "after")))
    chat = Chat(app)
    await chat.say("post hello")
    result = await chat.say("approve")
    if idempotent:
        assert "✓ Run 1: Done" in result
        assert backend.calls == 3 and [t for _, t in backend.effects] == ["hello", "after"]
    else:
        assert "✗ Run 1: Stopped at step 1" in result
        assert "may or may not have happened" in result and "not sent again" in result
        assert backend.calls == 1 and backend.effects == []  # tried once; "after" never ran


@pytest.mark.parametrize("idempotent", [True, False])
async def test_a_crash_after_the_call_never_repeats_the_side_effect(
        database: Database, settings: Settings, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
        idempotent: bool) -> None:
    settings = settings.model_copy(update={"run_lease_seconds": 0.2})
    backend = FlakyBackend(idempotent=idempotent)
    app = await app_with(database, settings, backend, ScriptedPlanner(post_plan("one", "two")),
                         clock=fake_clock)
    chat = Chat(app)
    await chat.say("post two things")

    real_finish = runs_repo.finish_step
    crashed = False

    async def crash_once(session: Any, run_id: int, step_id: str, status: Any, **kw: Any) -> None:
        nonlocal crashed
        if step_id == "s2" and not crashed:
            crashed = True
            raise Crash("killed between the call and recording it")
        await real_finish(session, run_id, step_id, status, **kw)

    monkeypatch.setattr(runs_repo, "finish_step", crash_once)
    with pytest.raises(Crash):
        await chat.say("approve")
    assert [t for _, t in backend.effects] == ["one", "two"]

    fake_clock.advance(seconds=1)  # the dead worker's lease ran out
    assert await Worker(app, "second-worker").run_once()
    assert [t for _, t in backend.effects] == ["one", "two"], "a write was repeated"
    async with database.session(all_teams=True) as session:
        run = (await runs_repo.list_runs(session))[0]
        results = await runs_repo.step_results(session, run.id or 0)
    if idempotent:
        # re-sent with the same key, answered from the integration's own ledger
        assert run.status == "succeeded"
        assert results["s2"].result == {"posted": "two", "count": 2}
    else:
        # the integration cannot tell whether it happened: fail, never re-send
        assert run.status == "failed"
        assert "cannot tell whether it happened" in run.error
        assert backend.calls == 2


async def test_a_crash_in_the_local_integration_resumes_without_a_second_reminder(
        build: Build, settings: Settings, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    deputy = await build(settings=settings.model_copy(update={"run_lease_seconds": 0.2}))
    chat = Chat(deputy)
    await chat.say("chase overdue invoices")
    real_finish = runs_repo.finish_step

    async def crash(session: Any, run_id: int, step_id: str, status: Any, **kw: Any) -> None:
        if step_id == "s2":
            raise Crash("power cut")
        await real_finish(session, run_id, step_id, status, **kw)

    monkeypatch.setattr(runs_repo, "finish_step", crash)
    with pytest.raises(Crash):
        await chat.say("approve")
    local: Any = deputy.registry.get("local").client  # type: ignore[union-attr]
    sent = [m for m in await local.outbox() if m["kind"] == "reminder"]
    assert len(sent) == 3
    monkeypatch.setattr(runs_repo, "finish_step", real_finish)
    fake_clock.advance(seconds=1)
    assert await Worker(deputy, "after-restart").run_once()
    assert len([m for m in await local.outbox() if m["kind"] == "reminder"]) == 3
    async with deputy.database.session(all_teams=True) as session:
        run = (await runs_repo.list_runs(session))[0]
    assert run.status == "succeeded"


async def test_a_bug_in_an_integration_fails_the_step_not_the_worker(
        database: Database, settings: Settings) -> None:
    backend = FlakyBackend(fail_text={"boom": [KeyError("internal detail")]})
    planner = ScriptedPlanner(post_plan("boom"))
    app = await app_with(database, settings, backend, planner)
    chat = Chat(app)
    await chat.say("post boom")
    result = await chat.say("approve")
    assert "unexpected KeyError" in result and "internal detail" not in result
    assert "✗ Run 1: Stopped at step 1" in result
    # the worker is still alive and takes the next run
    planner.outcomes.append(post_plan("fine"))
    await chat.say("post fine")
    assert "✓ Run 2: Done" in await chat.say("approve")


async def test_a_write_that_times_out_is_not_sent_again(database: Database, settings: Settings) -> None:
    backend = FlakyBackend(idempotent=False)
    app = await app_with(database, settings.model_copy(update={"step_timeout_seconds": 0.2}),
                         backend, ScriptedPlanner(post_plan("slow")))
    real = app.registry.get("flaky").actions.functions["post"]  # type: ignore[union-attr]

    async def slow(client: FlakyBackend, ctx: Any, *, text: str) -> dict[str, Any]:
        result = await real(client, ctx, text=text)
        await asyncio.sleep(1)  # the effect happened, the answer is late
        return result

    app.registry.get("flaky").actions.functions["post"] = slow  # type: ignore[union-attr]
    chat = Chat(app)
    await chat.say("post slow")
    out = await chat.say("approve")
    assert "may or may not have happened" in out
    assert [t for _, t in backend.effects] == ["slow"]


async def test_a_plan_that_keeps_failing_is_replanned_three_times_then_a_person_is_asked(
        build: Build) -> None:
    from bot.domain import PlanDraft, Step
    from tests.core.doubles import ScriptedPlanner
    from tests.support.chat import Chat

    failing = PlanDraft(summary="Remind about a missing invoice", steps=[
        Step(id="s1", action="local.send_reminder", args={"invoice_id": 9999}, note="remind")])
    planner = ScriptedPlanner(*[failing] * 6)
    deputy = await build(planner=planner)
    chat = Chat(deputy, user="Dev Patel")
    await chat.say("remind about invoice 9999")
    said = ""
    for _ in range(4):
        said = await chat.say("approve")
    assert len(planner.replans) == deputy.settings.max_replans == 3
    assert "after 3 re-plans" in said and "I will not guess again" in said
    # the shell says how to answer there; there is no thread in a terminal
    assert "reply YOUR ANSWER" in said and "thread" not in said
    assert chat.card.version == 4


async def test_a_lost_database_is_not_a_step_failure(database: Database, settings: Settings,
                                                    fake_clock: FakeClock) -> None:
    # the database went away during the call (reading the credentials, say): nothing is
    # recorded as failed; the worker lets go, and once the database is back the run resumes
    backend = FlakyBackend(idempotent=True, fail_text={
        "during outage": [DatabaseUnavailable("The database cannot be reached right now.")]})
    app = await app_with(database, settings, backend, ScriptedPlanner(post_plan("during outage")),
                         clock=fake_clock)
    chat = Chat(app)
    await chat.say("post during outage")
    with pytest.raises(DatabaseUnavailable):
        await chat.say("approve")
    async with app.database.session(all_teams=True) as session:
        run = (await runs_repo.list_runs(session))[0]
    assert run.status == "running" and not run.error
    fake_clock.advance(seconds=settings.run_lease_seconds + 1)
    assert await Worker(app, "after-outage").run_once()
    async with app.database.session(all_teams=True) as session:
        run = (await runs_repo.list_runs(session))[0]
    assert run.status == "succeeded"
    assert [text for _, text in backend.effects] == ["during outage"]
