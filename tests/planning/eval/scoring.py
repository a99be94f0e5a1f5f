"""Scores one planner outcome against what goals.yaml expects.

correct — the expected plan (or the expected kind of honest answer, naming what it must);
honest  — an honest answer (a question or "I can't") where a plan, or another answer, was
          expected: unhelpful, but nobody is misled;
wrong   — a plan that is not the expected one, or any plan where an answer was expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.domain import CannotPlan, Clarification, PlanDraft, PlanningOutcome

GOALS = Path(__file__).with_name("goals.yaml")
# arguments that choose *what* a step acts on: absent from the expectation means absent
FILTERS = {"client", "exclude_clients", "status", "overdue_more_than_days", "amount_above_cents",
           "kind", "stage", "attendee", "title", "company"}


@dataclass(frozen=True)
class Case:
    goal: str
    plan: list[tuple[str, dict[str, Any]]] | None
    answer: str | None
    mentions: tuple[str, ...]


@dataclass(frozen=True)
class Score:
    verdict: str  # correct | honest | wrong
    why: str


def load_cases() -> list[Case]:
    raw = yaml.safe_load(GOALS.read_text(encoding="utf-8"))
    return [Case(goal=str(item["goal"]),
                 plan=[(step[0], dict(step[1])) for step in item["plan"]] if "plan" in item else None,
                 answer=item.get("answer"), mentions=tuple(item.get("mentions", ())))
            for item in raw]


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, str) and isinstance(actual, str):
        return actual == expected or actual.startswith(expected)
    if isinstance(expected, list) and isinstance(actual, list):
        if all(isinstance(x, str) for x in expected + actual):
            return sorted(expected) == sorted(actual)
        return len(expected) == len(actual) and all(_same(e, a) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(k in actual and _same(v, actual[k]) for k, v in expected.items())
    return bool(expected == actual)


def _step_problem(index: int, want: tuple[str, dict[str, Any]], got_action: str,
                  got_args: dict[str, Any]) -> str | None:
    action, args = want
    if got_action != action:
        return f"step {index}: {got_action} instead of {action}"
    for key, value in args.items():
        if key not in got_args or not _same(value, got_args[key]):
            return f"step {index}: {key}={got_args.get(key)!r}, expected {value!r}"
    # a new event's title is free text, not a choice of what to act on
    filters = FILTERS - {"title"} if action.endswith("create_event") else FILTERS
    extra = sorted(k for k in got_args if k in filters and k not in args)
    if extra:
        return f"step {index}: unexpected {', '.join(f'{k}={got_args[k]!r}' for k in extra)}"
    return None


def score(case: Case, outcome: PlanningOutcome) -> Score:
    if isinstance(outcome, PlanDraft):
        if case.plan is None:
            return Score("wrong", f"planned {outcome.summary!r} where {case.answer} was expected")
        got = [(s.action, s.args) for s in outcome.steps]
        if len(got) != len(case.plan):
            return Score("wrong", f"{len(got)} steps {[a for a, _ in got]}, expected {[a for a, _ in case.plan]}")
        for index, (want, (action, args)) in enumerate(zip(case.plan, got, strict=True), start=1):
            problem = _step_problem(index, want, action, args)
            if problem:
                return Score("wrong", problem)
        return Score("correct", outcome.summary)
    kind = "question" if isinstance(outcome, Clarification) else "cannot"
    text = outcome.question if isinstance(outcome, Clarification) else \
        outcome.message if isinstance(outcome, CannotPlan) else str(outcome)
    if case.answer is None:
        return Score("honest", f"{kind}: {text.splitlines()[0]}")
    missing = [m for m in case.mentions if m.lower() not in text.lower()]
    if kind != case.answer or missing:
        return Score("honest", f"{kind} (expected {case.answer}) {text.splitlines()[0]!r}"
                     + (f", not naming {missing}" if missing else ""))
    return Score("correct", f"{kind}: {text.splitlines()[0]}")
