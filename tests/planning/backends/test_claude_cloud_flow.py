"""Whole conversations with Claude on Anthropic's API, on Bedrock and on Vertex: the planner
built by the factory from settings, the SDK's clients talking to fake endpoints that check
each door's auth, and the real core after planning: goal → plan → approval → run, a
clarifying question, a re-plan after a failed step with its error passed as untrusted data,
and the model failing (a timeout, malformed tool calls, plain text) with the rules taking
over and the card saying so."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Deputy
from bot.planning.factory import planner_for
from bot.registry import discover
from bot.settings import load_settings
from bot.store.database import Database
from tests.core.conftest import seeded_app
from tests.fakes.anthropic_api import FakeAnthropic, malformed_tool_use, slow, text_reply, tool_use
from tests.fakes.claude_cloud_api import FakeBedrock, FakeVertex, use_fake_cloud_credentials
from tests.planning.test_claude import OVERDUE_PLAN
from tests.support.chat import Chat

# the planner's wire format is under test here, not the store (which every core test runs on
# SQLite and PostgreSQL): SQLite only, half the cost
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

MODELS = {"anthropic": "claude-sonnet-5-5", "bedrock": "anthropic.claude-sonnet-4-5-20250929-v1:0",
          "vertex": "claude-sonnet-4-5@20250929"}
KEYS = {"anthropic": "sk-ant-flow-0123456789", "bedrock": None, "vertex": "ya29.flow"}


@pytest.fixture(params=["anthropic", "bedrock", "vertex"])
async def cloud(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeAnthropic]:
    use_fake_cloud_credentials(monkeypatch)
    fakes: dict[str, FakeAnthropic] = {
        "anthropic": FakeAnthropic(api_key=KEYS["anthropic"]), "bedrock": FakeBedrock(region="eu-west-1"),
        "vertex": FakeVertex(access_token="ya29.flow")}
    async with fakes[request.param] as api:
        yield api


def backend_of(cloud: FakeAnthropic) -> str:
    return "bedrock" if isinstance(cloud, FakeBedrock) else "vertex" if isinstance(cloud, FakeVertex) else "anthropic"


@pytest.fixture
async def chat(database: Database, tmp_path: Path, cloud: FakeAnthropic) -> AsyncIterator[Chat]:
    backend = backend_of(cloud)
    settings = load_settings(
        home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01, retry_max_seconds=0.05,
        step_timeout_seconds=5, planner=backend, planner_model=MODELS[backend], planner_base_url=cloud.base_url,
        planner_api_key=KEYS[backend], anthropic_max_retries=0, anthropic_timeout_seconds=1)
    registry = discover(["local"])
    app: Deputy = await seeded_app(database, settings, registry, planner=planner_for(settings, registry))
    yield Chat(app, user="Dev Patel")
    await app.planner.aclose()  # its SDK client's connection, on this test's loop


async def test_goal_plan_approval_run(chat: Chat, cloud: FakeAnthropic) -> None:
    cloud.queue(tool_use("submit_plan", OVERDUE_PLAN))
    answer = await chat.say("ping every client who is late paying us")
    backend = backend_of(cloud)
    assert f"Planned by {MODELS[backend]} on {backend}." in answer
    assert "awaiting approval" in answer
    assert "✓ Run 1: Done" in await chat.say("approve")
    assert len(cloud.requests) == 1


async def test_a_clarifying_question_is_asked_and_the_answer_plans(chat: Chat, cloud: FakeAnthropic) -> None:
    cloud.queue(tool_use("ask_question", {"question": "Which client do you mean?"}),
                tool_use("submit_plan", OVERDUE_PLAN))
    answer = await chat.say("send the usual nudge")
    assert "Which client do you mean?" in answer and "awaiting approval" not in answer
    answered = await chat.say("reply the ones who are late paying")
    assert "awaiting approval" in answered
    # the thread (the question and the answer) went with the second call
    assert "the ones who are late paying" in json.dumps(cloud.requests[-1].json["messages"])


async def test_a_failed_step_is_replanned(chat: Chat, cloud: FakeAnthropic) -> None:
    missing: dict[str, Any] = {"summary": "Remind invoice 999", "steps": [
        {"id": "s1", "action": "local.send_reminder", "args": {"invoice_id": 999}}]}
    cloud.queue(tool_use("submit_plan", missing), tool_use("ask_question", {"question": "Which invoice number?"}))
    await chat.say("remind whoever owes invoice 999")
    result = await chat.say("approve")
    assert "Which invoice number?" in result
    content = cloud.requests[-1].json["messages"][0]["content"]
    # the team's directory (cached) and then this re-plan's own text
    assert [block["type"] for block in content] == ["text", "text"] and "cache_control" in content[0]
    replan = content[1]["text"]
    assert "UNTRUSTED DATA follows" in replan and 'kind="error"' in replan


def fell_back(cloud: FakeAnthropic, why: str) -> str:
    backend = backend_of(cloud)
    return f"Planned by the offline rules, because {MODELS[backend]} on {backend} {why}."


async def test_a_timeout_falls_back_to_the_rules_and_says_so(chat: Chat, cloud: FakeAnthropic) -> None:
    cloud.queue(slow(2))
    answer = await chat.say("chase overdue invoices")
    assert fell_back(cloud, "timed out") in answer
    assert "awaiting approval" in answer
    assert "✓ Run 1: Done" in await chat.say("approve")
    assert chat.card.planned_by in fell_back(cloud, "timed out")  # the redrawn card still says so


async def test_malformed_tool_calls_fall_back_to_the_rules(chat: Chat, cloud: FakeAnthropic) -> None:
    cloud.queue(malformed_tool_use("submit_plan", '{"summary": "Chase", "steps": ['),
                malformed_tool_use("submit_plan", "{not json"))
    answer = await chat.say("chase overdue invoices")
    assert fell_back(cloud, "sent malformed tool calls") in answer
    assert len(cloud.requests) == 2  # one repair round, then the rules
    repair = cloud.requests[1].json["messages"][-1]["content"][0]
    assert repair["is_error"] and "must be one JSON object" in repair["content"]


async def test_plain_text_falls_back_to_the_rules_and_says_so(chat: Chat, cloud: FakeAnthropic) -> None:
    cloud.queue(text_reply("Sure, I will chase them."), text_reply("Sure, I will chase them."))
    answer = await chat.say("chase overdue invoices")
    assert fell_back(cloud, "answered in plain text instead of calling a tool") in answer
    assert "awaiting approval" in answer


async def test_plain_text_for_a_goal_the_rules_do_not_know_is_one_clear_message(
        chat: Chat, cloud: FakeAnthropic) -> None:
    cloud.queue(text_reply("I would love to help with that."), text_reply("I would love to help with that."))
    answer = await chat.say("write a haiku about our quarterly numbers")
    assert answer.count("I would love to help with that.") == 1
    assert "awaiting approval" not in answer
