"""The evaluation's goals through the Claude planner's request-building path, with a fake
model: the request must carry what a model needs to make each expected plan — every person
and client the plan names, the requester, the team, today's date and time zone, and the
action the plan uses. (The model's own judgement cannot be tested offline; what it is given
can.)"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest

from bot.planning.claude import ClaudePlanner
from tests.fakes.anthropic_api import FakeAnthropic, Reply, tool_use
from tests.planning.eval.scoring import load_cases
from tests.planning.eval.world import CLIENT_NAMES, MANIFEST, PEOPLE, context

# the requests are collected once per module: its tests stay on one xdist worker
pytestmark = pytest.mark.xdist_group("claude-prompt")

KEY = "sk-ant-eval-0000"
CASES = [c for c in load_cases() if c.plan is not None]


def _ask(body: dict[str, Any]) -> Reply:
    return tool_use("ask_question", {"question": "Which one?"})


@pytest.fixture(scope="module")
def bodies() -> dict[str, str]:
    """One request per goal, sent through the real SDK to the fake, as text."""
    import asyncio

    async def collect() -> dict[str, str]:
        async with FakeAnthropic(responder=_ask, api_key=KEY) as api, anthropic.AsyncAnthropic(
                api_key=KEY, base_url=api.base_url, max_retries=0, timeout=10) as client:
            planner = ClaudePlanner(client, manifests=[MANIFEST], model="claude-sonnet-5-5", max_tokens=1024)
            found = {}
            for case in CASES:
                before = len(api.requests)
                await planner.plan(case.goal, context())
                found[case.goal] = "\n".join(json.dumps(r.json) for r in api.requests[before:])
            return found

    return asyncio.run(collect())


def _named(value: Any) -> set[str]:
    """Person and client names an expected plan mentions anywhere in its arguments."""
    text = json.dumps(value)
    names = {p.name for p in PEOPLE if p.name in text or p.email in text}
    names |= {c for c in CLIENT_NAMES if c in text}
    return names


@pytest.mark.parametrize("case", CASES, ids=[c.goal for c in CASES])
def test_the_request_carries_what_the_plan_needs(case: Any, bodies: dict[str, str]) -> None:
    body = bodies[case.goal]
    assert case.goal.replace('"', '\\"') in body or json.dumps(case.goal)[1:-1] in body
    for name in _named([args for _, args in case.plan]):
        assert name in body, f"{name} is not in the request"
    for action, _ in case.plan:
        assert action.split(".", 1)[1] in body, f"{action} is not offered"
    assert "2026-11-25" in body and "Europe/London" in body
    assert "Ana Lima" in body  # who is asking: "my calendar", "the team"
    if "team" in case.goal:
        # the team is the requester's colleagues: the model needs everyone's company
        assert all(f"{p.name} ({p.email}, {p.company})" in body for p in PEOPLE)
