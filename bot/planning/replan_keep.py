"""A re-plan may keep an approved step by naming it: ``{"keep": "s4"}`` instead of writing
the step out again (its action, arguments, ``for_each`` and note as approved).

Output is what a re-plan pays most for, and a re-plan after a transient failure, or of a long
plan, mostly repeats steps that need no change. The kept step is expanded here, before the
plan is checked, into the step the approvers see: a reference to a completed step's output
becomes the value it produced (completed steps cannot be referenced from the new plan), a
reference to another kept step follows it to its new position. What cannot be kept is
refused with a reason, for the model's one repair round: a step that is done (it must not be
repeated), a step the plan does not have, a reference to a step neither done nor kept, a
``for_each`` over a completed step's list (the items must be written out).
"""

from __future__ import annotations

from typing import Any

from bot.planning.protocol import ReplanRequest
from bot.planning.refs import ITEM, REF_KEY, RefError, is_ref, lookup, root_of

KEEP = "keep"


def has_kept(steps: Any) -> bool:
    return isinstance(steps, list) and any(isinstance(s, dict) and KEEP in s for s in steps)


def expand_kept(steps: list[Any], request: ReplanRequest | None) -> tuple[list[Any], list[str]]:
    """``steps`` with every ``{"keep": id}`` replaced by that approved step, renumbered to its
    new position; or the problems found."""
    if request is None:
        return steps, ['"keep" names a step of an approved plan: it is only for re-plans; write every step out']
    approved = {s.id: s for s in request.plan.steps}
    moved = {s[KEEP]: f"s{n}" for n, s in enumerate(steps, start=1)
             if isinstance(s, dict) and isinstance(s.get(KEEP), str)}
    problems: list[str] = []
    expanded: list[Any] = []
    for n, step in enumerate(steps, start=1):
        if not (isinstance(step, dict) and KEEP in step):
            expanded.append(step)
            continue
        label = f"step {n} (keep {step[KEEP]!r})"
        kept = approved.get(step[KEEP]) if isinstance(step[KEEP], str) else None
        if kept is None or set(step) - {KEEP, "note"}:
            problems.append(f"{label}: keep takes only an approved step's id (s1, s2, …), alone or with a note")
            continue
        if kept.id in request.completed:
            problems.append(f"{label}: {kept.id} is done and must not be repeated")
            continue
        try:
            args = _carried(kept.args, request.completed, moved)
            for_each = _carried({REF_KEY: kept.for_each}, request.completed, moved, whole=False)[REF_KEY] \
                if kept.for_each else None
        except _CannotKeep as why:
            problems.append(f"{label}: {why}; write the step out")
            continue
        expanded.append({"action": kept.action, "args": args, **({"for_each": for_each} if for_each else {}),
                         **({"note": step.get("note") or kept.note} if step.get("note") or kept.note else {})})
    return expanded, problems


class _CannotKeep(Exception):
    pass


def _carried(value: Any, completed: dict[str, Any], moved: dict[str, str], whole: bool = True) -> Any:
    """``value`` with references to completed steps replaced by what they produced (when
    ``whole``) and references to kept steps renamed to their new ids."""
    if is_ref(value):
        path: str = value[REF_KEY]
        root = root_of(path)
        if root == ITEM:
            return value
        rest = path[len(root):]
        if root in completed:
            if not whole:
                raise _CannotKeep(f"it runs for each element of {path}, the output of a completed step")
            try:
                return lookup(path, completed)
            except RefError as err:
                raise _CannotKeep(str(err)) from err
        if root in moved:
            return {REF_KEY: moved[root] + rest}
        raise _CannotKeep(f"it refers to {root}, which is neither done nor kept")
    if isinstance(value, dict):
        return {k: _carried(v, completed, moved, whole) for k, v in value.items()}
    if isinstance(value, list):
        return [_carried(v, completed, moved, whole) for v in value]
    return value
