"""Describes how a new plan version differs from the one before, for its card."""

from __future__ import annotations

import difflib
import json
from typing import Any

from bot.domain import PlanDraft, Step


def _short(value: Any) -> str:
    if value is None:  # an argument the other version does not set (JSON's "null" said nothing)
        return "(not set)"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "…"


def _step_changes(number: int, old: Step, new: Step) -> list[str]:
    if old.action != new.action:
        return [f"step {number}: {old.action} → {new.action}"]
    changes = []
    for key in sorted(set(old.args) | set(new.args)):
        before, after = old.args.get(key), new.args.get(key)
        if before != after:
            changes.append(f"step {number} {key}: {_short(before)} → {_short(after)}")
    if old.for_each != new.for_each:
        changes.append(f"step {number} for each: {old.for_each} → {new.for_each}")
    return changes


def describe_changes(old: PlanDraft, new: PlanDraft, old_version: int) -> str:
    """One line per change; empty when the steps are the same. Steps are matched by what
    they do (their actions, in order), not by position, so one step added at the start
    reads as one addition rather than every step changed."""
    lines: list[str] = []
    matcher = difflib.SequenceMatcher(a=[s.action for s in old.steps], b=[s.action for s in new.steps],
                                      autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                lines.extend(_step_changes(j1 + k + 1, old.steps[i1 + k], new.steps[j1 + k]))
            continue
        for k in range(i1, i2):
            lines.append(f"− {old.steps[k].action} (was step {k + 1}, dropped)")
        for k in range(j1, j2):
            lines.append(f"+ step {k + 1}: {new.steps[k].action}")
    if not lines:
        return ""
    shown = lines[:8] + ([f"… and {len(lines) - 8} more changes"] if len(lines) > 8 else [])
    return f"Changes from version {old_version}: " + "; ".join(shown)
