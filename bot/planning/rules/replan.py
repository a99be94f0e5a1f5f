"""Re-planning after a failed run: the failed step and those after it, with every
reference to a completed step replaced by the value it produced.

A ``for_each`` over a completed step's list becomes one step per element (the approver
sees exactly which invoices or clients are left; the elements whose calls went through
before the step failed are not proposed again), and later steps that iterated over those
results follow the same expansion. A booking whose slot was taken searches again from that
slot. Errors that a retry cannot fix (unknown names, bad arguments, missing credentials)
are explained instead of re-proposed.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.domain import CannotPlan, PlanDraft, PlanningOutcome, Step
from bot.lazy_re import lazy
from bot.planning.protocol import PlanningContext, ReplanRequest
from bot.planning.refs import ITEM, RefError, is_ref, lookup, resolve
from bot.planning.rules.calendar_plans import ref

_CONFLICT = lazy(r"\b(?:slot (?:is |was )?taken|taken|conflicts?|busy|overlaps?|not free|unavailable|double[- ]booked)\b", re.I)
_HOPELESS = lazy(
    r"\b(?:not found|no such|matches nobody|nobody|several|ambiguous|unknown|invalid|not allowed"
    r"|denied|permission|credentials|not connected|already|does not exist|no contact)\b",
    re.I,
)
_NO_SLOT = lazy(r"\bno (?:free )?(?:slots?|time)\b", re.I)

# what an ``item`` reference stands for while a step is rewritten: a literal element of a
# completed step's list, or the output of one new step
_Item = tuple[str, Any] | None


class _Carry:
    def __init__(self, completed: dict[str, Any], went_through: dict[str, dict[int, Any]] | None = None) -> None:
        self.completed = completed
        # step id → the items of a for_each that went through (index → result): not proposed again
        self.went_through = went_through or {}
        self.renamed: dict[str, str] = {}
        # a step expanded into one step per element: each element's new step, or the result
        # of an element that went through before the failure
        self.expanded: dict[str, list[tuple[str, Any]]] = {}
        self.steps: list[Step] = []

    def _next_id(self) -> str:
        return f"s{len(self.steps) + 1}"

    def rewrite(self, value: Any, item: _Item) -> Any:
        if is_ref(value):
            return self._reference(value["$ref"], item)
        if isinstance(value, dict):
            return {k: self.rewrite(v, item) for k, v in value.items()}
        if isinstance(value, list):
            return [self.rewrite(v, item) for v in value]
        return value

    def _reference(self, path: str, item: _Item) -> Any:
        root, _, rest = path.partition(".")
        suffix = f".{rest}" if rest else ""
        if root == ITEM:
            if item is None:
                return ref(path)
            kind, what = item
            return lookup(path, {ITEM: what}) if kind == "literal" else ref(f"{what}{suffix}")
        if root in self.completed:
            return resolve(ref(path), self.completed)
        if root in self.renamed:
            return ref(self.renamed[root] + suffix)
        if root in self.expanded:
            ids = self.expanded[root]
            parts = rest.split(".")
            if rest == "results":
                return [ref(what) if kind == "step" else what for kind, what in ids]
            if len(parts) >= 2 and parts[0] == "results" and parts[1].isdigit() and int(parts[1]) < len(ids):
                kind, what = ids[int(parts[1])]
                if kind == "literal":
                    return lookup(".".join([ITEM, *parts[2:]]), {ITEM: what})
                return ref(".".join([what, *parts[2:]]))
        raise RefError(f"reference {path!r} points at a step whose output is not available")

    def add(self, step: Step) -> None:
        if step.for_each is None:
            self.renamed[step.id] = self._next_id()
            self.steps.append(step.model_copy(update={"id": self._next_id(), "args": self.rewrite(step.args, None)}))
            return
        root, _, rest = step.for_each.partition(".")
        items: list[_Item]
        if root in self.completed:
            found = lookup(step.for_each, self.completed)
            if not isinstance(found, list):
                raise RefError(f"for_each {step.for_each!r} is not a list")
            items = [("literal", element) for element in found]
        elif root in self.expanded and rest == "results":
            items = list(self.expanded[root])
        elif root in self.renamed:
            self.renamed[step.id] = self._next_id()
            self.steps.append(step.model_copy(update={
                "id": self._next_id(), "for_each": self.renamed[root] + (f".{rest}" if rest else ""),
                "args": self.rewrite(step.args, None)}))
            return
        else:
            raise RefError(f"for_each {step.for_each!r} points at a step whose output is not available")
        self.expanded[step.id] = []
        done = self.went_through.get(step.id, {})
        for number, element in enumerate(items, start=1):
            if number - 1 in done:
                self.expanded[step.id].append(("literal", done[number - 1]))
                continue
            new_id = self._next_id()
            self.expanded[step.id].append(("step", new_id))
            note = f"{step.note} ({number} of {len(items)})" if step.note else ""
            self.steps.append(Step(id=new_id, action=step.action, args=self.rewrite(step.args, element), note=note))


def _minutes_between(start: str, end: str) -> int | None:
    try:
        minutes = int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() // 60)
    except (TypeError, ValueError):
        return None
    return minutes if 5 <= minutes <= 480 else None


def _rebook(failed: Step, args: dict[str, Any], context: PlanningContext, headline: str) -> PlanningOutcome:
    minutes = _minutes_between(args.get("start", ""), args.get("end", ""))
    attendees = args.get("attendees")
    if minutes is None or not isinstance(attendees, list) or not attendees:
        return CannotPlan(message=f"{headline}. I could not work out the meeting's length and attendees to look for another slot.")
    # search the same calendar the failed step wrote to (local or CalDAV)
    calendar = failed.action.split(".", 1)[0]
    search = Step(id="s1", action=f"{calendar}.find_free_slots",
                  args={"attendees": attendees, "duration_minutes": minutes, "after": args["start"],
                        "timezone": context.timezone, "count": 1},
                  note=f"Find the next {minutes}-minute slot when everyone is free, from the slot that was taken")
    event_args = {**args, "start": ref("s1.first.start"), "end": ref("s1.first.end")}
    create = Step(id="s2", action=failed.action, args=event_args, note="Book the meeting in that slot instead")
    return PlanDraft(summary=f"{headline} \u2014 book the next free slot instead", steps=[search, create])


def replan(request: ReplanRequest, context: PlanningContext) -> PlanningOutcome:
    steps = request.plan.steps
    index = next((i for i, s in enumerate(steps) if s.id == request.failed_step), None)
    error = request.error.strip() or "no reason given"
    if index is None:
        return CannotPlan(message=f"The run stopped ({error}), but step {request.failed_step!r} is not in the plan, so I cannot tell what is left to do.")
    failed = steps[index]
    headline = f"Re-plan after step {index + 1} failed: {error}"
    carry = _Carry(dict(request.completed), {
        sid: {c["item"]: c.get("result") for c in calls if isinstance(c.get("item"), int)}
        for sid, calls in request.went_through.items()})
    try:
        if failed.action.endswith(".create_event") and _CONFLICT.search(error) and failed.for_each is None:
            return _rebook(failed, carry.rewrite(failed.args, None), context, headline)
        if failed.action.endswith(".find_free_slots") and _NO_SLOT.search(error) and "before" in failed.args:
            # no slot in the window the goal named: keep looking after it
            widened = failed.model_copy(update={"args": {k: v for k, v in failed.args.items() if k != "before"}})
            remaining = [widened, *steps[index + 1:]]
        elif _HOPELESS.search(error):
            return CannotPlan(message=(
                f"Step {index + 1} ({failed.note or failed.action}) failed: {error}. Running it again as "
                "planned would fail the same way; please change the goal and ask again."
            ))
        else:
            remaining = steps[index:]
        for step in remaining:
            carry.add(step)
    except RefError as err:
        return CannotPlan(message=f"Step {index + 1} failed: {error}. I cannot re-plan the rest: {err}.")
    if not carry.steps:
        return CannotPlan(message=f"Step {index + 1} failed: {error}. Nothing is left to do: the list it worked on is empty.")
    what = failed.note[:1].lower() + failed.note[1:] if failed.note else failed.action
    return PlanDraft(summary=f"{headline} \u2014 retry: {what}", steps=carry.steps)
