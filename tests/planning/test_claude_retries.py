"""The planner survives an overloaded or rate-limited API, honouring ``retry-after``."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import anthropic
import pytest

from bot.domain import CannotPlan, PlanDraft
from bot.planning.claude import ClaudePlanner, build_client
from tests.fakes.anthropic_api import ApiError, FakeAnthropic, overloaded, rate_limited, tool_use
from tests.planning.test_claude import API_KEY, OVERDUE_PLAN, context_for, local_manifest

BUILT: list[ClaudePlanner] = []  # by planner(), closed after each test


@pytest.fixture(autouse=True)
async def close_built() -> AsyncIterator[None]:
    yield
    while BUILT:  # the SDK clients' connections, on this test's loop
        await BUILT.pop().aclose()


@pytest.fixture
async def api() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as fake:
        yield fake


def planner(api: FakeAnthropic, max_retries: int = 2) -> ClaudePlanner:
    client = build_client(api_key=API_KEY, base_url=api.base_url, timeout_seconds=5, max_retries=max_retries)
    BUILT.append(ClaudePlanner(client, manifests=[local_manifest()]))
    return BUILT[-1]


async def test_overloaded_then_success_waits_as_told(api: FakeAnthropic) -> None:
    api.queue(overloaded(retry_after="0.4"), tool_use("submit_plan", OVERDUE_PLAN))

    started = time.monotonic()
    outcome = await planner(api).plan("chase late payers", context_for())
    waited = time.monotonic() - started

    assert isinstance(outcome, PlanDraft)
    assert len(api.requests) == 2
    assert waited >= 0.4
    assert outcome.usage["calls"] == 1  # the failed attempt cost no tokens


async def test_rate_limit_then_success(api: FakeAnthropic) -> None:
    api.queue(rate_limited(retry_after="0.3"), tool_use("submit_plan", OVERDUE_PLAN))

    started = time.monotonic()
    outcome = await planner(api).plan("chase late payers", context_for())

    assert isinstance(outcome, PlanDraft)
    assert time.monotonic() - started >= 0.3
    assert len(api.requests) == 2


async def test_still_overloaded_after_retries_is_a_clear_refusal(api: FakeAnthropic) -> None:
    api.queue(*[overloaded(retry_after="0.05")] * 3)

    outcome = await planner(api, max_retries=2).plan("chase late payers", context_for())

    assert isinstance(outcome, CannotPlan)
    assert "overloaded or unavailable" in outcome.message
    assert len(api.requests) == 3  # one try and two retries
    assert "Overloaded" not in outcome.message  # no raw API text in chat


async def test_a_bad_key_is_not_retried_and_never_echoed(api: FakeAnthropic) -> None:
    api.queue(ApiError(401, "authentication_error", "invalid x-api-key"))

    outcome = await planner(api).plan("chase late payers", context_for())

    assert isinstance(outcome, CannotPlan)
    assert "ANTHROPIC_API_KEY" in outcome.message and API_KEY not in outcome.message
    assert len(api.requests) == 1


async def test_the_default_model_rejects_forced_tool_choice_so_auto_is_used(api: FakeAnthropic) -> None:
    # the fake answers 400 to a forced tool_choice on models that reject it, like the API
    api.queue(tool_use("submit_plan", OVERDUE_PLAN))
    client = anthropic.AsyncAnthropic(api_key=API_KEY, base_url=api.base_url, max_retries=0)
    forced = ClaudePlanner(client, manifests=[local_manifest()], tool_choice="any")
    BUILT.append(forced)  # the two planners share the client: closing one closes it

    refused = await forced.plan("chase late payers", context_for())
    planned = await ClaudePlanner(client, manifests=[local_manifest()]).plan("chase late payers", context_for())

    assert isinstance(refused, CannotPlan) and "(400)" in refused.message
    assert isinstance(planned, PlanDraft)


async def test_built_from_settings_it_reads_the_sdk_environment(
    api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.planning.claude import DEFAULT_MODEL, build_claude_planner
    from bot.registry import ActionSet, Registry
    from bot.registry.registry import LoadedIntegration
    from bot.settings import load_settings

    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
    registry = Registry([LoadedIntegration(local_manifest(), ActionSet("local", lambda env: None))])
    api.queue(tool_use("submit_plan", OVERDUE_PLAN))

    planner = build_claude_planner(load_settings(), registry)
    BUILT.append(planner)
    outcome = await planner.plan("chase late payers", context_for())

    assert isinstance(outcome, PlanDraft)
    assert api.requests[0].json["model"] == DEFAULT_MODEL == "claude-sonnet-5-5"
