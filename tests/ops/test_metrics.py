"""GET /metrics after real conversations: the numbers say what happened."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.app import Deputy
from bot.domain import LOCAL_TEAM, PlanningOutcome
from bot.planning import Planner
from bot.planning.protocol import PlanningContext
from bot.planning.rules import RulePlanner
from tests.support.chat import Chat

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(client: TestClient[web.Request, web.Application]) -> Samples:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


class SpendingPlanner:
    """The rule planner, reporting the token usage a model would have spent."""

    def __init__(self, inner: Planner) -> None:
        self.inner = inner

    async def plan(self, goal: str, context: PlanningContext) -> PlanningOutcome:
        outcome = await self.inner.plan(goal, context)
        usage = {"input": 1200, "output": 300, "cache_read": 5000, "cache_write": 0, "calls": 1}
        return outcome.model_copy(update={"usage": usage})


@pytest.mark.parametrize("planner", [SpendingPlanner(RulePlanner())], ids=["spending"])
async def test_metrics_count_a_whole_conversation(
        deputy: Deputy, ops_client: TestClient[web.Request, web.Application]) -> None:
    before = await scrape(ops_client)
    chat = Chat(deputy, user="Dev Patel")
    assert "awaiting approval" in await chat.say("chase overdue invoices")
    assert "Plan 1 v2" in await chat.say("modify 2 message=Friendly nudge")
    assert "✓ Run 1: Done" in await chat.say("approve")
    assert "✓ Run 2: Done" in await chat.say("what's overdue?")
    assert "awaiting approval" in await chat.say("invoice Acme for last month")
    assert "rejected" in (await chat.say("reject")).lower()
    after = await scrape(ops_client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("deputy_goals_created_total") == 3
    assert delta("deputy_plans_proposed_total") == 4  # three goals and one modification
    assert delta("deputy_approvals_total", decision="approve") == 1
    assert delta("deputy_approvals_total", decision="reject") == 1
    assert delta("deputy_model_tokens_total", kind="input") == 3 * 1200
    assert delta("deputy_model_tokens_total", kind="output") == 3 * 300
    assert delta("deputy_model_tokens_total", kind="cache_read") == 3 * 5000
    # run 1: list + reminders; run 2: one list step
    assert delta("deputy_step_duration_seconds_count", integration="local", status="succeeded") == 3
    assert delta("deputy_step_duration_seconds_count", integration="local", status="failed") == 0
    # gauges come from the database itself: absolute numbers
    assert value(after, "deputy_runs", status="succeeded") == 2
    assert value(after, "deputy_runs", status="queued") == 0
    assert value(after, "deputy_queue_depth") == 0
    assert value(after, "deputy_database_up") == 1
    assert ("deputy_scheduler_lag_seconds", ()) in after


async def test_queue_depth_counts_runs_no_worker_has_taken(
        deputy: Deputy, ops_client: TestClient[web.Request, web.Application]) -> None:
    from bot.flow.card_refresh import start_run

    chat = Chat(deputy, user="Dev Patel")
    chat.session.worker.drain = _nothing  # type: ignore[method-assign]
    await chat.say("chase overdue invoices")
    await start_run(deputy, 1, 1, team=LOCAL_TEAM, actor_key=None)  # approved, but no worker is running
    samples = await scrape(ops_client)
    assert value(samples, "deputy_queue_depth") == 1
    assert value(samples, "deputy_runs", status="queued") == 1
    assert value(samples, "deputy_runs", status="running") == 0


async def _nothing() -> int:
    return 0


async def test_run_counts_are_cached_between_close_scrapes(deputy: Deputy) -> None:
    from bot import metrics
    from bot.flow.card_refresh import start_run

    gauges = metrics.DatabaseGauges(deputy.database, max_age=60)
    chat = Chat(deputy, user="Dev Patel")
    chat.session.worker.drain = _nothing  # type: ignore[method-assign]
    await chat.say("chase overdue invoices")
    await gauges.refresh()
    assert metrics.QUEUE_DEPTH._value.get() == 0
    await start_run(deputy, 1, 1, team=LOCAL_TEAM, actor_key=None)
    await gauges.refresh()  # within max_age: the database is not asked again
    assert metrics.QUEUE_DEPTH._value.get() == 0
    await metrics.DatabaseGauges(deputy.database, max_age=60).refresh()
    assert metrics.QUEUE_DEPTH._value.get() == 1


async def test_database_up_says_when_the_database_cannot_be_reached(deputy: Deputy) -> None:
    from bot import metrics
    from bot.store.database import Database

    await metrics.DatabaseGauges(deputy.database, max_age=0).refresh()
    assert metrics.DATABASE_UP._value.get() == 1
    nowhere = Database("postgresql://postgres@127.0.0.1:9/deputy")  # nothing listens on port 9
    try:
        await metrics.DatabaseGauges(nowhere, max_age=0).refresh()
    finally:
        await nowhere.dispose()
    assert metrics.DATABASE_UP._value.get() == 0
    await metrics.DatabaseGauges(deputy.database, max_age=0).refresh()
    assert metrics.DATABASE_UP._value.get() == 1
