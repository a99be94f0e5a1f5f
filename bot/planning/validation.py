"""Checks every plan, whoever wrote it: known actions, arguments that fit the action's
schema, and references that point only at earlier steps (so there is no cycle)."""

from __future__ import annotations

from typing import Any

import jsonschema

from bot.domain import PlanDraft
from bot.planning.protocol import ActionCatalog
from bot.planning.refs import ITEM, is_ref, iter_refs, root_of


def _unknown(value: Any) -> bool:
    """A reference, or a list holding one: its type or length is known only when resolved
    (dropping the references from ``[ref, ref]`` would fail a ``minItems`` it will meet)."""
    return is_ref(value) or (isinstance(value, list) and any(is_ref(v) for v in value))


def _placeholders(value: Any) -> Any:
    """Replace references by None and drop them from objects, so the schema checks only the
    literal values (a reference's type is known only when it is resolved)."""
    if is_ref(value):
        return None
    if isinstance(value, dict):
        return {k: _placeholders(v) for k, v in value.items() if not _unknown(v)}
    if isinstance(value, list):
        return [v for v in (_placeholders(v) for v in value) if v is not None]
    return value


def _required_minus_refs(schema: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """The schema as it applies to the literal arguments: references count as present."""
    required = [r for r in schema.get("required", []) if not _unknown(args.get(r))]
    adjusted = {**schema, "required": required}
    if "minProperties" in schema:
        refs = sum(1 for v in args.values() if _unknown(v))
        adjusted["minProperties"] = max(0, schema["minProperties"] - refs)
    return adjusted


def validate_plan(draft: PlanDraft, catalog: ActionCatalog) -> list[str]:
    """Every problem found, each naming its step; empty when the plan is valid."""
    errors: list[str] = []
    if not draft.steps:
        return ["the plan has no steps"]
    seen: set[str] = set()
    for number, step in enumerate(draft.steps, start=1):
        label = f"step {number} ({step.id})"
        if step.id in seen:
            errors.append(f"{label}: duplicate step id")
        spec = catalog.spec(step.action)
        if spec is None:
            errors.append(f"{label}: unknown action {step.action!r}")
        if step.for_each is not None:
            root = root_of(step.for_each)
            if root not in seen:
                errors.append(f"{label}: for_each {step.for_each!r} must name an earlier step")
        for path in iter_refs(step.args):
            root = root_of(path)
            if root == ITEM:
                if step.for_each is None:
                    errors.append(f"{label}: {path!r} refers to 'item' but the step has no for_each")
            elif root not in seen:
                errors.append(f"{label}: {path!r} must refer to an earlier step")
        if spec is not None:
            schema = _required_minus_refs(spec.args, step.args)
            validator = jsonschema.Draft202012Validator(schema)
            for problem in sorted(validator.iter_errors(_placeholders(step.args)), key=str):
                where = ".".join(str(p) for p in problem.absolute_path)
                errors.append(f"{label}: {where + ': ' if where else ''}{problem.message}")
        seen.add(step.id)
    return errors


# an action's schema → its validator, built on first use: building one (checking the
# schema, resolving its vocabulary) costs more than validating a call's arguments with it.
# Keyed by the schema object, which is kept alive here so that its id is never reused.
_VALIDATORS: dict[int, tuple[dict[str, Any], jsonschema.Draft202012Validator]] = {}
_MOST_VALIDATORS = 4096  # action schemas live as long as the registry: this is never reached


def _validator_of(action_schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    held = _VALIDATORS.get(id(action_schema))
    if held is not None and held[0] is action_schema:
        return held[1]
    if len(_VALIDATORS) >= _MOST_VALIDATORS:
        _VALIDATORS.clear()
    validator = jsonschema.Draft202012Validator(
        action_schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    _VALIDATORS[id(action_schema)] = (action_schema, validator)
    return validator


def check_arguments(action_schema: dict[str, Any], args: dict[str, Any]) -> list[str]:
    """Validate fully resolved arguments just before a call (the validator is built once per
    action schema)."""
    validator = _validator_of(action_schema)
    return [
        (".".join(str(p) for p in e.absolute_path) + ": " if e.absolute_path else "") + e.message
        for e in sorted(validator.iter_errors(args), key=str)
    ]
