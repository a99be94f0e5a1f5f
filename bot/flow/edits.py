"""Applies ``modify N key=value`` edits to a plan, coercing each value by the action's schema."""

from __future__ import annotations

import difflib
import json
from typing import Any

from bot.chat.events import StepEdit
from bot.domain import PlanDraft
from bot.errors import UserError
from bot.registry import Registry


def _coerce(raw: str, schema: dict[str, Any], label: str) -> Any:
    kind = schema.get("type")
    text = raw.strip()
    if text == "":
        raise UserError(f"{label}: give a value after `=`")
    try:
        if kind == "integer":
            return int(text.replace("_", ""))
        if kind == "number":
            return float(text)
        if kind == "boolean":
            if text.lower() in ("true", "yes", "1"):
                return True
            if text.lower() in ("false", "no", "0"):
                return False
            raise ValueError(text)
        if kind == "array":
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        if kind == "object":
            value = json.loads(text)
            if not isinstance(value, dict):
                raise ValueError(text)
            return value
    except (ValueError, json.JSONDecodeError):
        raise UserError(f"{label}: {text[:60]!r} is not a valid {kind}") from None
    return text


def apply_edits(draft: PlanDraft, edits: tuple[StepEdit, ...], registry: Registry) -> PlanDraft:
    """A new draft with the edits applied; UserError (nothing changed) on any bad edit."""
    if not edits:
        raise UserError("Nothing to change. Use: modify STEP key=value, e.g. `modify 3 title=Kick-off`.")
    steps = list(draft.steps)
    changed = False
    for edit in edits:
        if not 1 <= edit.step <= len(steps):
            raise UserError(f"There is no step {edit.step}; this plan has steps 1 to {len(steps)}.")
        step = steps[edit.step - 1]
        spec = registry.spec(step.action)
        properties: dict[str, Any] = spec.args.get("properties", {}) if spec else {}
        if edit.key not in properties:
            known = ", ".join(sorted(properties)) or "none"
            raise UserError(f"Step {edit.step} ({step.action}) has no argument {edit.key!r}; it takes: {known}.")
        value = _coerce(edit.value, properties[edit.key], f"step {edit.step} {edit.key}")
        if step.args.get(edit.key) != value:
            changed = True
        steps[edit.step - 1] = step.model_copy(update={"args": {**step.args, edit.key: value}})
    if not changed:
        raise UserError("Those values are what the plan already has; nothing changed.")
    return draft.model_copy(update={"steps": steps})


def parse_modify(text: str) -> tuple[StepEdit, ...]:
    """Parse ``N key=value [key=value …]``; values may contain spaces after the first `=`."""
    parts = text.strip().split(None, 1)
    if len(parts) < 2 or not parts[0].isdigit():
        raise UserError("Use: modify STEP key=value, e.g. `modify 3 title=Kick-off` or `modify 2 start=2026-12-01T10:00:00+00:00`.")
    step = int(parts[0])
    edits = []
    for chunk in _split_assignments(parts[1]):
        key, sep, value = chunk.partition("=")
        if not sep or not key.strip():
            raise UserError(f"{chunk!r} is not key=value. Use: modify {step} key=value.")
        edits.append(StepEdit(step=step, key=key.strip(), value=value.strip()))
    return tuple(edits)


def _split_assignments(text: str) -> list[str]:
    """Split ``a=1 b=two words`` into ``["a=1", "b=two words"]``."""
    tokens = text.split()
    chunks: list[str] = []
    for token in tokens:
        if "=" in token or not chunks:
            chunks.append(token)
        else:
            chunks[-1] += " " + token
    return chunks


def _edits_between(before: PlanDraft, after: PlanDraft) -> dict[tuple[str, str], tuple[Any, Any]]:
    """(action, argument) -> (value before, value after) for steps matched by action."""
    found: dict[tuple[str, str], tuple[Any, Any]] = {}
    matcher = difflib.SequenceMatcher(a=[s.action for s in before.steps], b=[s.action for s in after.steps],
                                      autojunk=False)
    for tag, i1, i2, j1, _ in matcher.get_opcodes():
        if tag != "equal":
            continue
        for k in range(i2 - i1):
            old, new = before.steps[i1 + k], after.steps[j1 + k]
            for key in set(old.args) | set(new.args):
                if old.args.get(key) != new.args.get(key):
                    found[(new.action, key)] = (old.args.get(key), new.args.get(key))
    return found


def keep_edits(draft: PlanDraft, history: list[tuple[str, PlanDraft]]) -> PlanDraft:
    """``draft`` (a re-plan after a thread reply) with the Modify edits people made to earlier
    versions applied again wherever the new plan still has what the edit replaced: "only
    Acme" after a Modify of the message keeps the message. ``history``: (reason, draft) per
    version, oldest first."""
    edits: dict[tuple[str, str], tuple[Any, Any]] = {}
    for (_, before), (reason, after) in zip(history, history[1:], strict=False):
        if reason.startswith("modified"):
            edits.update(_edits_between(before, after))
    if not edits:
        return draft
    steps = []
    for step in draft.steps:
        args = dict(step.args)
        for (action, key), (was, now) in edits.items():
            if step.action == action and args.get(key) == was:
                if now is None:
                    args.pop(key, None)
                else:
                    args[key] = now
        steps.append(step.model_copy(update={"args": args}))
    return draft.model_copy(update={"steps": steps})
