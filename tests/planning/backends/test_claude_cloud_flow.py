"""Whole conversations with Claude on Bedrock and on Vertex: the planner built by the factory
from settings, the SDK's cloud clients talking to fake endpoints that check the cloud's
auth, and the real core after planning: goal → plan → approval → run, and a re-plan after a
failed step with its error passed as untrusted data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Deputy
from bot.planning.factory import planner_for
from bot.settings import load_settings
from bot.store.database import Database
from integrations.local.demo import seed
from tests.core.conftest import NOW, make_app
from tests.fakes.anthropic_api import FakeAnthropic, tool_use
from tests.fakes.claude_cloud_api import FakeBedrock, FakeVertex
from tests.planning.test_claude import OVERDUE_PLAN
from tests.support.chat import Chat

MODELS = {"bedrock": "anthropic.claude-sonnet-4-5-20250929-v1:0", "vertex": "claude-sonnet-4-5@20250929"}


@pytest.fixture(params=["bedrock", "vertex"])
async def cloud(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeAnthropic]:
    for name, value in {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "fake-secret",
                        "AWS_REGION": "eu-west-1", "CLOUD_ML_REGION": "us-east5",
                        "ANTHROPIC_VERTEX_PROJECT_ID": "acme-planning"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK"):
        monkeypatch.delenv(name, raising=False)
    fake: FakeAnthropic = (FakeBedrock(region="eu-west-1") if request.param == "bedrock"
                           else FakeVertex(access_token="ya29.flow"))
    async with fake as api:
        yield api


@pytest.fixture
async def chat(database: Database, tmp_path: Path, cloud: FakeAnthropic) -> Chat:
    backend = "bedrock" if isinstance(cloud, FakeBedrock) else "vertex"
    settings = load_settings(
        home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01, retry_max_seconds=0.05,
        step_timeout_seconds=5, planner=backend, planner_model=MODELS[backend], planner_base_url=cloud.base_url,
        planner_api_key="ya29.flow" if backend == "vertex" else None, anthropic_max_retries=0)
    app: Deputy = await make_app(database, settings)
    app.planner = planner_for(settings, app.registry)
    await seed(database, NOW.date(), "Europe/London")
    return Chat(app, user="Dev Patel")


def backend_of(cloud: FakeAnthropic) -> str:
    return "bedrock" if isinstance(cloud, FakeBedrock) else "vertex"


async def test_goal_plan_approval_run(chat: Chat, cloud: FakeAnthropic) -> None:
    cloud.queue(tool_use("submit_plan", OVERDUE_PLAN))
    answer = await chat.say("ping every client who is late paying us")
    backend = backend_of(cloud)
    assert f"Planned by {MODELS[backend]} on {backend}." in answer
    assert "awaiting approval" in answer
    assert "✓ Run 1: Done" in await chat.say("approve")
    assert len(cloud.requests) == 1


async def test_a_failed_step_is_replanned(chat: Chat, cloud: FakeAnthropic) -> None:
    missing: dict[str, Any] = {"summary": "Remind invoice 999", "steps": [
        {"id": "s1", "action": "local.send_reminder", "args": {"invoice_id": 999}}]}
    cloud.queue(tool_use("submit_plan", missing), tool_use("ask_question", {"question": "Which invoice number?"}))
    await chat.say("remind whoever owes invoice 999")
    result = await chat.say("approve")
    assert "Which invoice number?" in result
    replan = cloud.requests[-1].json["messages"][0]["content"]
    assert "UNTRUSTED DATA follows" in replan and 'kind="error"' in replan
