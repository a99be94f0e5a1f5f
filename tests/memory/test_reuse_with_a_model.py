"""Repeating a past run with a model planner (Claude and an OpenAI-compatible server, through
their real SDKs against the fakes): a goal that points back gets the runs it may reuse, and
the card names the run the model says it repeats — never one it was not offered."""

from __future__ import annotations

from typing import Any

from tests.memory.test_poisoning_channels import _call
from tests.memory.test_poisoning_channels import model as model  # noqa: F401  (fixture)
from tests.memory.test_poisoning_channels import model_chat as model_chat  # noqa: F401  (fixture)
from tests.support.chat import Chat

LIST = {"steps": [{"action": "local.list_clients", "args": {}}]}


def _sent(model: Any) -> str:
    """Everything the newest request to the model said, as one text."""
    return str(model.requests[-1].json["messages"])


async def test_a_goal_pointing_back_gets_the_past_runs_and_the_card_names_the_one_repeated(
        model_chat: Chat, model: Any) -> None:
    model.queue(_call(model, "submit_plan", LIST))
    assert "Acme" in await model_chat.say("list our invoicing clients")  # a read: runs alone
    assert "<past_runs>\\nrun #" not in _sent(model)  # (the prompt's rules name the tag too)
    model.queue(_call(model, "submit_plan", {**LIST, "runs_used": [1]}))
    await model_chat.say("do that again please")
    assert "<past_runs>\\nrun #1, 25 Nov 2026: list our invoicing clients\\n" in _sent(model), _sent(model)
    assert "local.list_clients {}" in _sent(model)
    assert "Using: run #1 “list our invoicing clients” of 25 Nov" in model_chat.card.note, model_chat.card.note


async def test_a_run_the_model_was_not_offered_is_not_named(model_chat: Chat, model: Any) -> None:
    model.queue(_call(model, "submit_plan", {**LIST, "runs_used": [1, 99]}))
    await model_chat.say("list our invoicing clients again")  # points back, but nothing ran yet
    assert "Using: run" not in model_chat.card.note, model_chat.card.note
