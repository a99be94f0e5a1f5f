"""Goals that ask for two things: "look up Globex and book a call with Tom tomorrow".

A goal is split where a new clause starts with a verb of its own ("…, then remind Globex",
"… and list open deals"); each part is planned alone and the plans are joined, the second
part's step ids moved past the first's. A part the planner cannot do is named in the
answer, so the other part is never silently all that runs.
"""

from __future__ import annotations

import re
from typing import Any

from bot.domain import PlanDraft, Step
from bot.lazy_re import lazy

# verbs that open a clause of their own (ours, and a few everyday ones we do not do)
_CLAUSE = lazy(
    r"(?:,\s*(?:and\s+)?(?:then\s+)?|\s+and\s+then\s+|\s+then\s+|\s+and\s+(?:also\s+)?)"
    r"(?=(?:please\s+)?(?:chase|remind|nudge|send|invoice|bill|book|schedule|set\s+up|arrange|list|show"
    r"|look\s+up|find|tell|what's|whats|what|who|which|how|set|move|push|cancel|call\s+off|log|add|create"
    r"|record|track|update|change|mark|close|order|buy|email|call|post|tweet|write|deploy|pay|delete"
    r"|remove)\b)", re.I)


def split(goal: str) -> list[str]:
    parts = [p.strip(" ,.;") for p in _CLAUSE.split(goal)]
    return [p for p in parts if p]


def _shift(value: Any, offset: int) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$ref"} and isinstance(value["$ref"], str):
            return {"$ref": _shift_path(value["$ref"], offset)}
        return {k: _shift(v, offset) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, offset) for v in value]
    return value


def _shift_path(path: str, offset: int) -> str:
    head, dot, rest = path.partition(".")
    if re.fullmatch(r"s\d+", head):
        return f"s{int(head[1:]) + offset}{dot}{rest}"
    return path


def join(drafts: list[PlanDraft]) -> PlanDraft:
    steps: list[Step] = []
    for draft in drafts:
        offset = len(steps)
        for step in draft.steps:
            steps.append(step.model_copy(update={
                "id": _shift_path(step.id, offset), "args": _shift(step.args, offset),
                "for_each": _shift_path(step.for_each, offset) if step.for_each else None}))
    summary = "; then ".join(d.summary[:1].lower() + d.summary[1:] if i else d.summary
                             for i, d in enumerate(drafts))
    return PlanDraft(summary=summary, steps=steps)
