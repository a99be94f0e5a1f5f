"""Describes how a new plan version differs from the one before, for its card."""

from __future__ import annotations

import json
from typing import Any

from bot.domain import PlanDraft, Step


def _short(value: Any) -> str:
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
    """One line per change, step by step; empty when the steps are the same."""
    lines: list[str] = []
    for number, (before, after) in enumerate(zip(old.steps, new.steps, strict=False), start=1):
        lines.extend(_step_changes(number, before, after))
    for number, step in enumerate(new.steps[len(old.steps):], start=len(old.steps) + 1):
        lines.append(f"+ step {number}: {step.action}")
    for number, step in enumerate(old.steps[len(new.steps):], start=len(new.steps) + 1):
        lines.append(f"− step {number}: {step.action} (dropped)")
    if not lines:
        return ""
    shown = lines[:8] + ([f"… and {len(lines) - 8} more changes"] if len(lines) > 8 else [])
    return f"Changes from version {old_version}: " + "; ".join(shown)
