"""Shared set-up of the parallel executor's tests: an app whose ``slowapi`` integration
talks to a :class:`~tests.core.provider.Provider` on 127.0.0.1, and fan-out plans."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.app import Deputy
from bot.domain import PlanDraft, Step
from bot.registry import discover
from bot.registry.registry import LoadedIntegration, Registry
from bot.settings import Settings
from bot.store import runs as runs_repo
from bot.store.database import Database
from tests.core.conftest import clock, make_app
from tests.core.doubles import ScriptedPlanner
from tests.core.provider import Provider, slowapi


async def provider_app(database: Database, settings: Settings, provider: Provider, *plans: PlanDraft,
                       max_concurrency: int = 4, clock: Callable[[], datetime] = clock,
                       also: tuple[LoadedIntegration, ...] = (), **changes: Any) -> Deputy:
    local = discover(["local"]).get("local")
    assert local is not None
    registry = Registry([local, slowapi(provider, max_concurrency=max_concurrency), *also])
    return await make_app(database, settings.model_copy(update=changes), registry,
                          planner=ScriptedPlanner(*plans), clock=clock)


def fan_out(count: int, *, then: tuple[Step, ...] = ()) -> PlanDraft:
    """List ``count`` items, then send one write per item (``item-0`` … ``item-N``)."""
    return PlanDraft(summary=f"Send {count} items", steps=[
        Step(id="s1", action="slowapi.list_items", args={"count": count}, note="List the items"),
        Step(id="s2", action="slowapi.send", args={"label": {"$ref": "item.label"}},
             for_each="s1.items", note="Send each item"),
        *then,
    ])


async def only_run(database: Database) -> tuple[Any, dict[str, Any]]:
    """The one run of the test, and its step results by step id."""
    async with database.session(all_teams=True) as session:
        run = (await runs_repo.list_runs(session))[0]
        results = await runs_repo.step_results(session, run.id or 0)
    return run, results
