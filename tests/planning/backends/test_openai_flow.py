"""A whole conversation with the planner on an OpenAI-compatible server: the planner is built
from settings by the factory (as `deputy serve` builds it), the real ``openai`` SDK talks to
the fake Chat Completions server, and everything after planning is the real core."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord.render import card_embed
from bot.adapters.shell.render import render_card
from bot.adapters.slack.render import card_blocks
from bot.app import Deputy
from bot.chat.replies import CardState
from bot.planning.factory import planner_for
from bot.registry import discover
from bot.settings import load_settings
from bot.store.database import Database
from tests.core.conftest import seeded_app
from tests.fakes.openai_api import FakeOpenAI, slow, text_reply, tool_call
from tests.planning.test_claude import OVERDUE_PLAN
from tests.support.chat import Chat

# the planner's wire format is under test here, not the store (which every core test runs on
# SQLite and PostgreSQL): SQLite only, half the cost
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

MODEL = "llama3.1:8b"


@pytest.fixture
async def api() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(models=(MODEL,), api_key="sk-local-0123456789") as fake:
        yield fake


@pytest.fixture
async def chat(database: Database, tmp_path: Path, api: FakeOpenAI) -> AsyncIterator[Chat]:
    settings = load_settings(
        home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01, retry_max_seconds=0.05,
        step_timeout_seconds=5, planner="openai-compatible", planner_model=MODEL,
        planner_base_url=api.base_url, planner_api_key="sk-local-0123456789", planner_timeout_seconds=1,
        anthropic_max_retries=0)
    registry = discover(["local"])
    app: Deputy = await seeded_app(database, settings, registry, planner=planner_for(settings, registry))
    yield Chat(app, user="Dev Patel")
    await app.planner.aclose()  # its SDK client's connection, on this test's loop


def sent(api: FakeOpenAI, index: int = -1) -> dict[str, Any]:
    return api.requests[index].json


async def test_goal_plan_approval_run(chat: Chat, api: FakeOpenAI) -> None:
    api.queue(tool_call("submit_plan", OVERDUE_PLAN))

    answer = await chat.say("ping every client who is late paying us")

    assert "awaiting approval" in answer and "local.send_reminder" in answer
    assert "Planned by llama3.1:8b on openai-compatible." in answer
    assert "ping every client who is late paying us" in sent(api)["messages"][1]["content"]
    result = await chat.say("approve")
    assert "✓ Run 1: Done" in result, result
    assert len(api.requests) == 1  # no model call while steps run


async def test_the_card_says_which_model_planned_on_every_redraw(chat: Chat, api: FakeOpenAI) -> None:
    api.queue(tool_call("submit_plan", OVERDUE_PLAN))
    await chat.say("ping every client who is late paying us")
    await chat.say("approve")
    # the card as redrawn after the approval and the run is built from the stored version
    card = chat.card
    assert card.state is CardState.SUCCEEDED and card.planned_by == "llama3.1:8b on openai-compatible"
    said = "Planned by llama3.1:8b on openai-compatible."
    assert said in render_card(card)
    assert said in json.dumps(card_blocks(card))
    assert said in (card_embed(card).description or "")


async def test_a_clarifying_question_is_asked_in_the_thread(chat: Chat, api: FakeOpenAI) -> None:
    api.queue(tool_call("ask_question", {"question": "Which client do you mean?"}))
    answer = await chat.say("send the usual nudge")
    assert "Which client do you mean?" in answer
    assert "awaiting approval" not in answer


async def test_a_failed_step_is_replanned_with_its_error_as_untrusted_data(chat: Chat, api: FakeOpenAI) -> None:
    missing = {"summary": "Remind invoice 999", "steps": [
        {"id": "s1", "action": "local.send_reminder", "args": {"invoice_id": 999}}]}
    api.queue(tool_call("submit_plan", missing), tool_call("ask_question", {"question": "Which invoice number?"}))
    await chat.say("remind whoever owes invoice 999")
    result = await chat.say("approve")
    assert "Which invoice number?" in result
    replan = sent(api)["messages"][1]["content"]
    assert "UNTRUSTED DATA follows" in replan and 'kind="error"' in replan


async def test_a_timeout_falls_back_to_the_rules_and_says_so(chat: Chat, api: FakeOpenAI) -> None:
    api.queue(slow(3))
    answer = await chat.say("chase overdue invoices")
    assert "Planned by the offline rules, because llama3.1:8b on openai-compatible timed out." in answer
    assert "awaiting approval" in answer
    assert "✓ Run 1: Done" in await chat.say("approve")


async def test_malformed_tool_calls_fall_back_to_the_rules(chat: Chat, api: FakeOpenAI) -> None:
    api.queue(tool_call("submit_plan", "{not json"), tool_call("submit_plan", '{"summary": '))
    answer = await chat.say("chase overdue invoices")
    assert "Planned by the offline rules, because llama3.1:8b on openai-compatible sent malformed tool calls." in answer
    assert len(api.requests) == 2  # one repair round, then the rules


async def test_plain_text_for_a_goal_the_rules_do_not_know_is_one_clear_message(chat: Chat, api: FakeOpenAI) -> None:
    api.queue(text_reply("I would love to help with that."), text_reply("I would love to help with that."))
    answer = await chat.say("write a haiku about our quarterly numbers")
    assert answer.count("I would love to help with that.") == 1
    assert "awaiting approval" not in answer
