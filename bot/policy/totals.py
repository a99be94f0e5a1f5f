"""Totals over a whole plan: ``sum(amount) > 100000``, ``count(to outside_domains acme.example) > 0``.

A per-step condition can be dodged by splitting: five payments of 30,000 each pass
``amount > 100000``. A total is computed over every call of the plan that the rule selects —
the steps its integration/action/effect match and its plain ``when`` conditions do not rule
out, one call per ``for_each`` item — and the rule is then read for each such step.

- ``sum(ARG)`` adds ARG over those calls (a missing or non-numeric value adds 0).
- ``count(ARG)`` counts ARG's values (each element of a list, or one value); ``count(ARG OP
  VALUE)`` only those meeting the condition, each value on its own; ``count(*)`` counts calls.
- ``recipients``, when a step has no argument of that name, means the addresses in ``to``,
  ``cc``, ``bcc`` and ``attendees`` together.

A call that is not known yet — a ``for_each`` whose items come from an earlier step, a
``$ref`` value, a call a plain condition cannot rule in or out yet — makes the total
UNKNOWN, read the cautious way like any unknown condition (evaluate.py); except that a count
already over a ``>``/``>=`` bound stays over it whatever the unknown calls add.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.domain import Effect, Step
from bot.policy.conditions import (
    MISSING,
    OPERATORS,
    Unknown,
    holds_ref,
    is_ref,
    lookup_path,
    show_value,
)
from bot.policy.truth import Check, Truth

if TYPE_CHECKING:
    from bot.policy.conditions import RuleCondition
    from bot.policy.model import Rule

RECIPIENT_ARGS = ("to", "cc", "bcc", "attendees")


@dataclass(frozen=True)
class PlanStep:
    """One step of the plan being decided. ``calls``: the arguments of each call when known
    (one for a plain step, one per item for a ``for_each`` whose items are known), else None."""

    step: Step
    effect: Effect
    calls: tuple[Mapping[str, Any], ...] | None = None

    @classmethod
    def of(cls, step: Step, effect: Effect) -> PlanStep:
        return cls(step, effect, None if step.for_each else (step.args,))


def _values(args: Mapping[str, Any], arg: str) -> list[Any]:
    if arg == "recipients" and "recipients" not in args:
        found: list[Any] = []
        for name in RECIPIENT_ARGS:
            found += _values(args, name)
        return found
    value = lookup_path(dict(args), arg)
    if value is MISSING or value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _number(value: Any) -> float:
    if is_ref(value):
        raise Unknown
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _count_one(cond: RuleCondition, value: Any) -> bool:
    if cond.inner_op is None:
        return True
    if is_ref(value) or (holds_ref(value) and cond.inner_op not in ("outside_domains", "inside_domains")):
        raise Unknown
    return bool(OPERATORS[cond.inner_op](value, cond.inner_value))


def _compare(op: str, total: float, bound: float) -> bool:
    return {">": total > bound, ">=": total >= bound, "<": total < bound, "<=": total <= bound,
            "==": total == bound, "!=": total != bound}[op]


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def evaluate_total(cond: RuleCondition, calls: Sequence[Mapping[str, Any] | None]) -> Check:
    """The total over ``calls`` (None: a call not known yet) compared with the bound."""
    assert cond.total is not None
    total, unknown = 0.0, False
    for args in calls:
        if args is None:
            unknown = True
            continue
        try:
            if cond.total == "count" and cond.arg == "*":
                total += 1
            elif cond.total == "sum":
                total += sum(_number(v) for v in _values(args, cond.arg))
            else:
                total += sum(1 for v in _values(args, cond.arg) if _count_one(cond, v))
        except Unknown:
            unknown = True
    bound = float(cond.value)
    matched = _compare(cond.op, total, bound)
    calls_text = f"{len(calls)} call{'s' if len(calls) != 1 else ''}"
    inside = cond.describe().rsplit(" ", 2)[0]
    if unknown:
        if cond.total == "count" and cond.op in (">", ">=") and matched:
            return Check(Truth.TRUE, f"{inside} is already {_number_text(total)} {cond.op} "
                                     f"{show_value(cond.value)} over the plan's known calls")
        return Check(Truth.UNKNOWN, f"{inside} over the plan is not known until earlier steps run "
                                    f"({_number_text(total)} so far)")
    verb = cond.op if matched else f"not {cond.op}"
    return Check(Truth.TRUE if matched else Truth.FALSE,
                 f"{inside} over the plan ({calls_text}) is {_number_text(total)}, {verb} {show_value(cond.value)}")


def selected_calls(rule: Rule, plan: Sequence[PlanStep],
                   static: Any) -> list[Mapping[str, Any] | None]:
    """The calls of ``plan`` a total of ``rule`` adds up: steps ``static`` (the rule's
    integration/action/effect test) accepts, minus calls its plain conditions rule out."""
    plain = [c for c in rule.match.when if c.total is None]
    chosen: list[Mapping[str, Any] | None] = []
    for item in plan:
        if static(item.step, item.effect) is not Truth.TRUE:
            continue
        if item.calls is None:
            chosen.append(None)
            continue
        for args in item.calls:
            truths = [c.evaluate(dict(args)).truth for c in plain]
            if Truth.FALSE in truths:
                continue
            chosen.append(None if Truth.UNKNOWN in truths else args)
    return chosen
