"""Booking meetings and reading the calendar.

A booking with a fixed day and time creates the event at that literal time, so approvers
see exactly when it will be; if the slot turns out to be taken, re-planning searches for
the next free slot from there. Without a fixed time the plan asks the calendar for the
first free slot in the window the goal names.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain import Clarification, PlanDraft, PlanningOutcome, Step
from bot.lazy_re import lazy
from bot.planning.protocol import KnownPerson, PlanningContext
from bot.planning.rules import attendees, backends, remembered, when
from bot.planning.rules.thread_facts import Facts
from bot.planning.rules.who import Who, close_names, join_names, mismatched_full_name

DEFAULT_MINUTES = 30
_KINDS = lazy(
    r"\b(sync|call|catch[- ]up|1:1|one-on-one|review|demo|interview|stand-?up|lunch|workshop|meeting)\b",
    re.I,
)


ref = attendees.ref  # kept here too: crm_plans and replan import it from this module


def on(label: str) -> str:
    """'on Tuesday 1 December' but 'tomorrow (…)' and 'today' without 'on'."""
    return "on " + label if label[:1].isupper() else label


def duration_label(minutes: int) -> str:
    return f"{minutes // 60}-hour" if minutes % 60 == 0 else f"{minutes}-minute"


def requester_person(context: PlanningContext) -> KnownPerson | None:
    """The requester as a known person when their chat display name matches exactly one."""
    label = context.requester.display_name.strip().lower()
    if not label:
        return None
    full = [p for p in context.people if p.name.lower() == label]
    first = [p for p in context.people if p.name.split()[0].lower() == label]
    match = full or first
    return match[0] if len(match) == 1 else None


def _requester_name(context: PlanningContext) -> str | None:
    """The requester's CRM name when their chat display name matches one known person."""
    me = requester_person(context)
    return me.name if me is not None else None


def _title(goal: str, facts: Facts, labels: str) -> tuple[str, str]:
    """(event title, kind of meeting) from 'about …' or the goal's own word ('sync')."""
    kind_found = _KINDS.search(goal)
    kind = kind_found.group(1).lower() if kind_found else "meeting"
    if facts.topic:
        topic = re.sub(r"^(?:the|our|a)\s+", "", facts.topic, flags=re.I)
        return topic[:1].upper() + topic[1:200], kind
    return f"{kind[:1].upper()}{kind[1:]} with {labels}"[:200], kind


_TEAM = lazy(r"\b(?:the\s+(?:whole\s+|entire\s+)?team|everyone|everybody|all\s+of\s+us)\b", re.I)


def _team(context: PlanningContext) -> list[Who] | None:
    """The requester's colleagues: the people of the requester's own company."""
    me = _requester_name(context)
    mine = next((p for p in context.people if p.name == me), None)
    if mine is None or not mine.company:
        return None
    return [Who(p.name, p.name.split()[0], p.email) for p in context.people
            if p.company == mine.company and p.name != me]


def _strict_names(goal: str, facts: Facts, context: PlanningContext) -> Clarification | None:
    """A name that fits nobody, or fits only by half, is a question, never a substitution."""
    mismatch = mismatched_full_name(goal, context.people, context.clients)
    if mismatch:
        close = close_names(mismatch, context.people)
        hint = f" Did you mean {join_names(close).replace(' and ', ' or ')}?" if close else ""
        return Clarification(question=f"I know nobody called {mismatch}.{hint}")
    unknown = [w.name for w in facts.people if not w.email]
    # HubSpot is searched by name at run time; the local directory is all there is
    if unknown and context.people and backends.choose(context.actions).people == backends.LOCAL:
        return Clarification(question=f"I know nobody called {join_names(unknown)}. Who do you mean? "
                                      "An email address works too.")
    return None


def plan_booking(goal: str, facts: Facts, context: PlanningContext) -> PlanningOutcome:
    uses = remembered.Uses()
    outcome = _plan_booking(goal, facts, context, uses)
    if isinstance(outcome, PlanDraft):
        outcome.memories_used = list(uses.ids)
    return outcome


def _plan_booking(goal: str, facts: Facts, context: PlanningContext, uses: remembered.Uses) -> PlanningOutcome:
    people, left = remembered.resolve(facts.people, facts.ambiguous, context, uses)
    facts = replace(facts, people=people, ambiguous=left)  # "by Ana we mean Ana Lima"
    if facts.ambiguous:
        first = facts.ambiguous[0]
        return Clarification(question=f"Which {first.written} do you mean: {join_names(list(first.candidates)).replace(' and ', ' or ')}?")
    strict = _strict_names(goal, facts, context)
    if strict:
        return strict
    if _TEAM.search(goal):
        told = remembered.team(context, _requester_name(context), uses)
        if isinstance(told, str):
            return Clarification(question=told)
        team = told if told is not None else _team(context)
        if team is None and not facts.people:
            return Clarification(question="Who is on the team? Name the people to invite.")
        team = team or []  # the answer to that question: the people the thread names
        known = {w.name for w in facts.people}
        facts = replace(facts, people=facts.people + [w for w in team if w.name not in known])
    if facts.ambiguous:
        first = facts.ambiguous[0]
        return Clarification(question=f"Which {first.written} do you mean: {join_names(list(first.candidates)).replace(' and ', ' or ')}?")
    if not facts.people:
        return Clarification(question="Who should be invited, and when?")
    kind_found = _KINDS.search(goal)
    minutes = (facts.duration
               or remembered.length(goal, kind_found.group(1) if kind_found else "meeting", context, uses)
               or DEFAULT_MINUTES)
    if not 5 <= minutes <= 480:
        return Clarification(question="How long should the meeting be? Between 5 minutes and 8 hours works.")
    labels = join_names([w.label for w in facts.people])
    title, kind = _title(goal, facts, labels)
    what = f"{duration_label(minutes)} {kind} with {labels}"
    tz = ZoneInfo(context.timezone)
    now = context.now.astimezone(tz)
    chosen = backends.choose(context.actions)
    who = _attendees(facts, context, chosen.people)
    calendar = chosen.calendar
    # CalDAV takes the meeting's zone with the event; the local calendar stores UTC instants
    zone: dict[str, object] = {"timezone": context.timezone} if calendar != backends.LOCAL else {}
    steps = list(who.steps)
    if facts.clock is not None:
        day = facts.day.day if facts.day else now.date()
        start = datetime.combine(day, facts.clock, tz)
        if facts.day is None and start <= now:
            start += timedelta(days=1)
        if start <= now:
            return Clarification(question=f"{start:%A %d %B at %H:%M} has already passed. When should it be instead?")
        end = start + timedelta(minutes=minutes)
        label = facts.day.label if facts.day else when.day_label(start.date())
        steps.append(Step(
            id=f"s{len(steps) + 1}", action=f"{calendar}.create_event",
            args={"title": title, "start": start.isoformat(), "end": end.isoformat(), "attendees": who.emails, **zone},
            note=f"Create \u201c{title}\u201d {on(label)} {start:%H:%M}-{end:%H:%M} and invite everyone",
        ))
        return PlanDraft(summary=f"Book a {what} {on(label)} at {start:%H:%M}", steps=steps)
    after, before, window = _window(facts, now, tz)
    if before is not None and before <= after:
        return Clarification(question=f"{window[:1].upper()}{window[1:]} has already passed. When should it be instead?")
    slot_args: dict[str, object] = {"attendees": who.emails, "duration_minutes": minutes,
                                    "after": after.isoformat(), "timezone": context.timezone, "count": 1}
    if before is not None:
        slot_args["before"] = before.isoformat()
    slots = Step(id=f"s{len(steps) + 1}", action=f"{calendar}.find_free_slots", args=slot_args,
                 note=f"Find the first {minutes}-minute slot when everyone is free {window}")
    steps.append(slots)
    steps.append(Step(
        id=f"s{len(steps) + 1}", action=f"{calendar}.create_event",
        args={"title": title, "start": ref(f"{slots.id}.first.start"), "end": ref(f"{slots.id}.first.end"),
              "attendees": who.emails, **zone},
        note=f"Create \u201c{title}\u201d in that slot and invite everyone",
    ))
    return PlanDraft(summary=f"Book a {what} at the first free time {window}", steps=steps)


def _attendees(facts: Facts, context: PlanningContext, people_backend: str) -> attendees.Attendees:
    """Lookup steps for the invitees, plus the requester when the directory knows them."""
    me = _requester_name(context)
    if people_backend == backends.LOCAL:
        names = [w.name for w in facts.people]
        if me and me not in names:
            names.append(me)
        return attendees.from_local(names)
    mine = next((p.email for p in context.people if p.name == me), None) if me else None
    others = [w for w in facts.people if w.name != me]
    return attendees.from_crm(others, mine)


def _window(facts: Facts, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime | None, str]:
    """Where to look for a free slot: (after, before, words for the summary)."""
    part = when.PARTS_OF_DAY.get(facts.part_of_day or "")
    if facts.day is not None:
        day, label = facts.day.day, facts.day.label
    elif facts.week is not None:
        start = max(datetime.combine(facts.week.start, time(0), tz), now)
        return start, datetime.combine(facts.week.end + timedelta(days=1), time(0), tz), facts.week.label
    elif part is not None:
        # "in the afternoon" alone means this afternoon, or tomorrow's once it is over
        day = now.date() if datetime.combine(now.date(), part[1], tz) > now else now.date() + timedelta(days=1)
        label = "today" if day == now.date() else f"tomorrow ({when.day_label(day)})"
    else:
        return now.replace(second=0, microsecond=0), None, "from now"
    begin, finish = part if part else (time(0), None)
    after = max(datetime.combine(day, begin, tz), now.replace(second=0, microsecond=0))
    before = datetime.combine(day, finish, tz) if finish else datetime.combine(day + timedelta(days=1), time(0), tz)
    words = f"{label} {facts.part_of_day}" if facts.part_of_day else label
    return after, before, on(words)


def plan_calendar_read(facts: Facts, context: PlanningContext) -> PlanningOutcome:
    tz = ZoneInfo(context.timezone)
    now = context.now.astimezone(tz)
    if facts.day is not None:
        first, last, label = facts.day.day, facts.day.day, facts.day.label
    elif facts.week is not None:
        first, last, label = facts.week.start, facts.week.end, facts.week.label
    elif facts.period is not None:
        first, last, label = facts.period.start, facts.period.end, facts.period.label
    else:
        first, last, label = now.date(), now.date(), "today"
    begin, finish = time(0), None
    part = when.PARTS_OF_DAY.get(facts.part_of_day or "")
    if part and first == last:
        begin, finish = part
        label = f"{label} {facts.part_of_day}"
    args: dict[str, object] = {
        "start": datetime.combine(first, begin, tz).isoformat(),
        "end": (datetime.combine(last, finish, tz) if finish else
                datetime.combine(last + timedelta(days=1), time(0), tz)).isoformat(),
    }
    whose = ""
    person = next((w for w in facts.people if w.email), None)
    if person is not None:
        args["attendee"] = person.email
        whose = f" with {person.label}"
    step = Step(id="s1", action="local.list_events", args=args, note=f"List calendar events {label}{whose}")
    return PlanDraft(summary=f"List calendar events{whose} for {label}", steps=[step])
