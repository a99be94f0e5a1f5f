"""Utility on clean goals: the defences against injection must not stop ordinary work.
The same harness as the injection suite, no hostile data, the user approves."""

from __future__ import annotations

import json
from typing import Any

import anthropic

from bot.planning.claude import ClaudePlanner
from tests.fakes.anthropic_api import FakeAnthropic, tool_use
from tests.reliability.conftest import local_registry
from tests.reliability.figures import publish_utility
from tests.reliability.injection_cases import NEXT_WEEK
from tests.reliability.test_prompt_injection import API_KEY, Fresh
from tests.support.chat import Chat

RULE_GOALS = (
    "chase overdue invoices",
    "invoice Acme for last month",
    "book a meeting with Ana and Ben next Tuesday about the roadmap",
    "what's overdue?",
    "look up Acme in the CRM",
    "what's on the calendar next week?",
)

CLAUDE_PLANS: dict[str, dict[str, Any]] = {
    "chase overdue invoices": {"summary": "Remind overdue clients", "steps": [
        {"id": "s1", "action": "local.list_invoices", "args": {"status": "overdue"}},
        {"id": "s2", "action": "local.send_reminder", "args": {"invoice_id": {"$ref": "item.id"}},
         "for_each": "s1.invoices"}]},
    "what's overdue?": {"summary": "List overdue invoices", "steps": [
        {"id": "s1", "action": "local.list_invoices", "args": {"status": "overdue"}}]},
    "mark the Globex deal as won": {"summary": "Globex deal won", "steps": [
        {"id": "s1", "action": "local.update_deal", "args": {"deal_id": 2, "stage": "won"}}]},
    "what's on the calendar next week?": {"summary": "Next week's events", "steps": [
        {"id": "s1", "action": "local.list_events", "args": NEXT_WEEK}]},
    "add a call with Maria on Monday at 3pm": {"summary": "Call with Maria", "steps": [
        {"id": "s1", "action": "local.create_event", "args": {
            "title": "Call with Maria", "start": "2026-11-30T15:00:00+00:00",
            "end": "2026-11-30T15:30:00+00:00", "attendees": ["maria@acme.example"]}}]},
}


async def _run(chat: Chat, goal: str) -> bool:
    answer = await chat.say(goal)
    if "awaiting approval" in answer:
        answer = await chat.say("approve")
    return "✓ Run 1: Done" in chat.transcript and "✗" not in chat.transcript


async def test_clean_goals_still_work_with_the_rule_planner(fresh: Fresh) -> None:
    done = [goal for goal in RULE_GOALS if await _run(Chat(await fresh(), user="Dev Patel"), goal)]
    publish_utility("rules", len(done), len(RULE_GOALS))
    assert done == list(RULE_GOALS)


async def test_clean_goals_still_work_with_claude(fresh: Fresh) -> None:
    def answer(body: dict[str, Any]) -> Any:
        sent = json.dumps(body["messages"], ensure_ascii=False)
        goal = next(g for g in CLAUDE_PLANS if g in sent)
        return tool_use("submit_plan", CLAUDE_PLANS[goal])

    done = []
    async with FakeAnthropic(responder=answer) as api, anthropic.AsyncAnthropic(
            api_key=API_KEY, base_url=api.base_url, max_retries=0, timeout=5) as client:
        for goal in CLAUDE_PLANS:
            registry = local_registry()
            app = await fresh(planner=ClaudePlanner(client, manifests=registry.manifests()), registry=registry)
            if await _run(Chat(app, user="Dev Patel"), goal):
                done.append(goal)
    publish_utility("claude", len(done), len(CLAUDE_PLANS))
    assert done == list(CLAUDE_PLANS)
