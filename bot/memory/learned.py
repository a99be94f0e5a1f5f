"""What a person taught Deputy without saying `remember`: their answer to one of Deputy's
questions, or a change they made to a plan. Each function returns the statement to offer
(in words `remember` takes, see :mod:`bot.memory.statements`) or None.

Only the person's words fill a statement in: the question (which a model planner may have
written) only picks the template, and nothing here reads integration data or tool output.
"""

from __future__ import annotations

import re

from bot.domain import PlanDraft, PlanningOutcome
from bot.lazy_re import lazy
from bot.memory.statements import NotAStatement, parse, split_names

TEAM_QUESTION = "Who is on the team?"
_WHICH_QUESTION = lazy(r"^Which (?P<written>[A-Z][\w'’-]*) do you mean: (?P<candidates>.+)\?$")
_LENGTH_QUESTION = lazy(r"^How long should the (?P<kind>[\w:-]+) be\?")
_NAME = lazy(r"^[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,2}$")
_LEADING = lazy(r"^(?:(?:it'?s|they'?re|the\s+team\s+is|invite|just)\s+)+", re.I)
_AMOUNT = lazy(r"^(?:make\s+it\s+|about\s+)?(?P<n>\d{1,3})\s*(?P<unit>minutes?|mins?|hours?|h)\b\.?$", re.I)
_MEETING = lazy(
    r"\b(sync|call|catch[- ]up|1:1|one-on-one|review|demo|interview|stand-?up|workshop|meeting)s?\b", re.I)
_WITH = lazy(r"\bwith\s+(?P<who>[A-Z][\w&'’.-]*(?:\s+(?:[A-Z][\w&'’.-]*|&|and)(?=\s+[A-Z]|$|[\s,.?!]))*)")
_NOT_WHO = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today", "tomorrow",
            "next", "this", "and", "&"}
MAX_NAMES = 12


def made_a_plan(outcome: PlanningOutcome) -> bool:
    return isinstance(outcome, PlanDraft) and bool(outcome.steps)


def from_answer(question: str, answer: str, goal: str) -> str | None:
    """The fact the answer to ``question`` states, in `remember` words, or None."""
    said = " ".join(answer.split()).strip().rstrip(".!")
    if question.startswith(TEAM_QUESTION):
        names = split_names(_LEADING.sub("", said))
        if not 1 <= len(names) <= MAX_NAMES or not all(_NAME.match(n) for n in names):
            return None
        return _checked("the team is " + _joined(names), "team_members")
    which = _WHICH_QUESTION.match(question)
    if which:
        return _which(which.group("written"), which.group("candidates"), said)
    length = _LENGTH_QUESTION.match(question)
    amount = _AMOUNT.match(said)
    if length and amount:
        return _length(goal, amount.group("n"), amount.group("unit"))
    return None


def _which(written: str, candidates: str, said: str) -> str | None:
    """"Which Ana do you mean: Ana Costa or Ana Lima?" answered naming exactly one of them."""
    named = [c for c in re.split(r",\s*|\s+or\s+", candidates)
             if c.strip() and re.search(rf"(?<!\w){re.escape(c.strip())}(?!\w)", said, re.I)]
    if len(named) != 1:
        return None
    return _checked(f"by {written} we mean {named[0].strip()}", "person_alias")


def from_change(action: str, key: str, value: str, goal: str) -> str | None:
    """A meeting's length changed by hand (a free-slot search's ``duration_minutes``)."""
    if not action.endswith(".find_free_slots") or key != "duration_minutes" or not value.strip().isdigit():
        return None
    return _length(goal, value.strip(), "minutes")


def _length(goal: str, number: str, unit: str) -> str | None:
    found = _MEETING.search(goal)
    kind = found.group(1).lower() if found else "meeting"
    who = meeting_with(goal)
    plural = kind if kind.endswith("s") else kind + "s"
    return _checked(f"{plural}{' with ' + who if who else ''} are {number} {unit}", "meeting_length")


def meeting_with(goal: str) -> str:
    """Who a goal's meeting is with, as the person wrote it ("Globex", "Ana and Ben"), or ""."""
    found = _WITH.search(goal)
    if found is None:
        return ""
    words = found.group("who").split()
    while words and words[-1].lower() in _NOT_WHO:
        words.pop()
    return " ".join(words).strip(" .,")


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _checked(statement: str, kind: str) -> str | None:
    """The statement, if `remember` reads it as the kind a plan can use."""
    try:
        return statement if parse(statement).kind == kind else None
    except NotAStatement:
        return None
