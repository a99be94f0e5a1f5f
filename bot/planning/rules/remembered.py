"""What the rule planner takes from team memory: who "the team" is, and how long a kind of
meeting (or a meeting with someone) lasts.

A memory only fills in what the goal left open: a goal that names its own length or people
wins. Each use is recorded so the card can say which memory shaped the plan.
"""

from __future__ import annotations

import re

from bot.memory.statements import meeting_word
from bot.planning.protocol import PlanningContext, RememberedFact
from bot.planning.rules.who import AmbiguousName, Who


class Uses:
    """The ids of the memories a plan used, in the order they were used."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def add(self, fact: RememberedFact) -> None:
        if fact.id not in self.ids:
            self.ids.append(fact.id)


def _newest(context: PlanningContext, kind: str) -> list[RememberedFact]:
    return [m for m in context.memories if m.kind == kind]


def team(context: PlanningContext, requester: str | None, uses: Uses) -> list[Who] | str | None:
    """The remembered team, without the requester; a question (str) when a name is unknown;
    None when no team is remembered."""
    found = _newest(context, "team_members")
    if not found:
        return None
    fact = found[0]
    people: list[Who] = []
    unknown: list[str] = []
    for name in fact.value.get("names", []):
        low = str(name).lower()
        full = [p for p in context.people if p.name.lower() == low]
        first = [p for p in context.people if p.name.split()[0].lower() == low]
        match = full or first
        if len(match) != 1:
            unknown.append(str(name))
            continue
        if match[0].name != requester:
            people.append(Who(match[0].name, match[0].name.split()[0], match[0].email))
    if unknown:
        # the memory by its id, not its text: a question is kept with the goal, and erasing
        # the memory must not leave a copy of it there
        return (f"I remember who the team is (#{fact.id}, {fact.provenance}), but I know nobody called "
                f"{', '.join(unknown)}. Who do you mean?")
    uses.add(fact)
    return people


def length(goal: str, kind: str, context: PlanningContext, uses: Uses) -> int | None:
    """A remembered length for this meeting: one naming who it is with beats one for the kind."""
    wanted = meeting_word(kind)
    best: RememberedFact | None = None
    for fact in _newest(context, "meeting_length"):
        with_ = str(fact.value.get("with", "")).strip()
        meeting = str(fact.value.get("meeting", ""))
        if with_:
            if re.search(rf"\b{re.escape(with_)}\b", goal, re.I) and meeting in (wanted, "meeting"):
                best = fact
                break
        elif meeting == wanted and best is None:
            best = fact
    if best is None:
        return None
    uses.add(best)
    minutes = best.value.get("minutes")
    return int(minutes) if isinstance(minutes, int) else None


def meant(name: AmbiguousName, context: PlanningContext, uses: Uses) -> Who | None:
    """The person a remembered "by Ana we mean Ana Lima" picks among a first name's
    candidates; None when nothing remembered picks exactly one of them."""
    for fact in _newest(context, "person_alias"):
        if str(fact.value.get("name", "")).lower() != name.written.lower():
            continue
        means = str(fact.value.get("means", ""))
        chosen = [c for c in name.candidates if c.lower() == means.lower()]
        person = next((p for p in context.people if chosen and p.name == chosen[0]), None)
        if person is not None:
            uses.add(fact)
            return Who(person.name, person.name, person.email)
    return None


def resolve(people: list[Who], ambiguous: list[AmbiguousName], context: PlanningContext,
            uses: Uses) -> tuple[list[Who], list[AmbiguousName]]:
    """The ambiguous first names a memory settles join ``people``; the others stay ambiguous."""
    left: list[AmbiguousName] = []
    for name in ambiguous:
        who = meant(name, context, uses)
        if who is None:
            left.append(name)
        else:  # the name stood for nobody known until now: it is this person
            people = [p for p in people if p.email or p.name.lower() != name.written.lower()]
            people += [] if who.name in {p.name for p in people} else [who]
    return people, left
