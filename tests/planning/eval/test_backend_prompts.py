"""The evaluation's goals on every model backend's request-building path, with a fake model
that asks a question: each backend's request must carry what a model needs to make each
expected plan (the same checks as tests/planning/eval/test_claude_prompt.py), and the
input tokens per goal are compared across backends (the figure docs/benchmarks.md quotes).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
from typing import Any

import anthropic
import openai
import pytest

from bot.planning.claude import ClaudePlanner
from bot.planning.model_planner import ModelPlanner
from bot.planning.openai_compat import OpenAICompatiblePlanner
from tests.fakes.anthropic_api import FakeAnthropic, Reply, tool_use
from tests.fakes.claude_cloud_api import FakeBedrock, FakeVertex
from tests.fakes.openai_api import Completion, FakeOpenAI, tool_call
from tests.planning.eval.test_claude_prompt import CASES, _named
from tests.planning.eval.world import MANIFEST, PEOPLE, context

# the requests are collected once per module: its tests stay on one xdist worker
pytestmark = pytest.mark.xdist_group("backend-prompts")

BACKENDS = ("anthropic", "bedrock", "vertex", "openai-compatible")


def _ask_claude(body: dict[str, Any]) -> Reply:
    return tool_use("ask_question", {"question": "Which one?"})


def _ask_openai(body: dict[str, Any]) -> Completion:
    return tool_call("ask_question", {"question": "Which one?"})


async def _collect(backend: str) -> tuple[dict[str, str], list[int]]:
    """One request per goal through the backend's real SDK: the bodies, and input tokens per goal."""
    bodies: dict[str, str] = {}
    if backend == "openai-compatible":
        async with FakeOpenAI(responder=_ask_openai) as api:
            client = openai.AsyncOpenAI(api_key="k", base_url=api.base_url, max_retries=0, timeout=10)
            planner: ModelPlanner = OpenAICompatiblePlanner(client, manifests=[MANIFEST], model="llama3.1:8b",
                                                             max_tokens=1024)
            await _plan_all(planner, api.requests, bodies)
            await planner.aclose()  # before asyncio.run closes the loop its connections are on
            return bodies, [u["prompt_tokens"] for u in api.usages]
    fakes: dict[str, FakeAnthropic] = {
        "bedrock": FakeBedrock(responder=_ask_claude), "vertex": FakeVertex(responder=_ask_claude, access_token="ya29.k"),
        "anthropic": FakeAnthropic(responder=_ask_claude, api_key="k")}
    async with fakes[backend] as api:
        claude: Any
        if backend == "bedrock":
            claude = anthropic.AsyncAnthropicBedrock(aws_access_key="AKIDEXAMPLE", aws_secret_key="fake-secret",
                                                     aws_region="us-east-1", base_url=api.base_url, max_retries=0)
        elif backend == "vertex":
            claude = anthropic.AsyncAnthropicVertex(access_token="ya29.k", project_id="acme-planning",
                                                    region="us-east5", base_url=api.base_url, max_retries=0)
        else:
            claude = anthropic.AsyncAnthropic(api_key="k", base_url=api.base_url, max_retries=0)
        planner = ClaudePlanner(claude, manifests=[MANIFEST], model="claude-sonnet-5-5", max_tokens=1024,
                                backend=backend)
        await _plan_all(planner, api.requests, bodies)
        await planner.aclose()  # before asyncio.run closes the loop its connections are on
        totals = [u["input_tokens"] + u["cache_read_input_tokens"] + u["cache_creation_input_tokens"]
                  for u in api.usages]
        return bodies, totals


async def _plan_all(planner: ModelPlanner, requests: list[Any], bodies: dict[str, str]) -> None:
    for case in CASES:
        before = len(requests)
        await planner.plan(case.goal, context())
        bodies[case.goal] = "\n".join(json.dumps(r.json) for r in requests[before:])


@pytest.fixture(scope="module")
def collected() -> dict[str, tuple[dict[str, str], list[int]]]:
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK"):
        os.environ.pop(name, None)
    return {backend: asyncio.run(_collect(backend)) for backend in BACKENDS}


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_request_carries_what_the_plans_need(
    backend: str, collected: dict[str, tuple[dict[str, str], list[int]]]
) -> None:
    bodies, _ = collected[backend]
    missing = []
    for case in CASES:
        body = bodies[case.goal]
        if json.dumps(case.goal)[1:-1] not in body:
            missing.append(f"{case.goal}: the goal")
        missing += [f"{case.goal}: {name}" for name in _named([args for _, args in case.plan]) if name not in body]
        missing += [f"{case.goal}: {action}" for action, _ in case.plan if action.split(".", 1)[1] not in body]
        if "2026-11-25" not in body or "Europe/London" not in body or "Ana Lima" not in body:
            missing.append(f"{case.goal}: date, zone or requester")
        if "team" in case.goal and not all(f"{p.name} ({p.email}, {p.company})" in body for p in PEOPLE):
            missing.append(f"{case.goal}: the team's companies")
    assert missing == []


def test_tokens_per_goal_across_backends(collected: dict[str, tuple[dict[str, str], list[int]]]) -> None:
    per_goal = {backend: statistics.mean(tokens) for backend, (_, tokens) in collected.items()}
    print("\ninput tokens per goal (fake count, 1 token = 4 characters of JSON):",
          json.dumps({k: round(v) for k, v in per_goal.items()}))
    # one call per goal everywhere (the fake model answers at once)
    assert all(len(tokens) == len(CASES) for _, tokens in collected.values())
    # the same content in each wire format: Bedrock's and Vertex's bodies are Anthropic's, and
    # the Chat Completions request (tools as functions, catalogue as a system message) stays close
    assert abs(per_goal["bedrock"] - per_goal["anthropic"]) / per_goal["anthropic"] < 0.01
    assert abs(per_goal["vertex"] - per_goal["anthropic"]) / per_goal["anthropic"] < 0.01
    assert abs(per_goal["openai-compatible"] - per_goal["anthropic"]) / per_goal["anthropic"] < 0.15
