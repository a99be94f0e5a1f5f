"""The policy read on what the approvers will see: the plan as its preview resolved it.

At proposal, verdicts are decided on the plan as written: a ``for_each`` over a read's
output, or a value a write derives inside its integration (a reminder's billing email, an
invoice's amount from time entries), is not known then. Once the preview has looked them
up, the policy is read again on the resolved calls, with each call's derived values added
as arguments under their labels (``recipients``, ``amount_cents``...) when the call has no
argument of that name. What the plan needs is then the union of both readings: the preview
can only add needs (or a denial), never remove one, so it never loosens a verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.domain import Effect, Step
from bot.flow.derived import KEY
from bot.flow.previews import MISSING, resolved_writes
from bot.policy import (
    Decision,
    PlanRequirement,
    Policy,
    RequestFacts,
    evaluate_plan,
    evaluate_step,
    plan_requirement,
)
from bot.policy.model import RANK
from bot.policy.totals import PlanStep
from bot.store.goals import PlanView

if TYPE_CHECKING:
    from bot.core.deputy import Deputy


def _unknown_again(value: Any) -> Any:
    """A reference the preview could not resolve is unknown to the policy, not a value."""
    if isinstance(value, dict):
        if MISSING in value:
            return {"$ref": value[MISSING]}
        return {k: _unknown_again(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknown_again(v) for v in value]
    return value


def _with_derived(call: Any, derived: Any) -> dict[str, Any]:
    args = dict(_unknown_again(call)) if isinstance(call, dict) else {}
    if isinstance(derived, Mapping):
        args = {**{k: v for k, v in derived.items() if k not in args}, **args}
    return args


def _steps(app: Deputy, view: PlanView) -> list[tuple[Step, Effect]]:
    found = []
    for row in view.steps:
        spec = app.registry.spec(row.action)
        found.append((Step(id=row.step_id, action=row.action, args=row.args, for_each=row.for_each),
                      spec.effect if spec else Effect.DESTRUCTIVE))
    return found


def seen_plan(app: Deputy, view: PlanView, outputs: Mapping[str, Any]) -> list[PlanStep]:
    reads = {k: v for k, v in outputs.items() if k != KEY}
    derived: Mapping[str, Any] = outputs.get(KEY) or {}
    writes = resolved_writes(app, view, reads)
    plan = []
    for step, effect in _steps(app, view):
        calls = writes.get(step.id)
        if calls is None or (step.for_each and not isinstance(calls, list)):
            plan.append(PlanStep.of(step, effect))
            continue
        calls = calls if step.for_each else [calls]
        extra = list(derived.get(step.id) or [])
        merged = tuple(_with_derived(c, extra[i] if i < len(extra) else None) for i, c in enumerate(calls))
        if not step.for_each:
            step = step.model_copy(update={"args": merged[0]})
        plan.append(PlanStep(step, effect, merged))
    return plan


def seen_decisions(app: Deputy, policy: Policy, view: PlanView, outputs: Mapping[str, Any] | None,
                   facts: RequestFacts | None) -> list[Decision]:
    """Each step's decision on the previewed values (empty without a preview)."""
    if not outputs:
        return []
    plan = seen_plan(app, view, outputs)
    return [evaluate_step(policy, p.step, p.effect, facts, plan) for p in plan]


def requirement(app: Deputy, policy: Policy, view: PlanView, outputs: Mapping[str, Any] | None,
                facts: RequestFacts | None) -> PlanRequirement:
    """What the plan needs: the plan as written and, when previewed, as resolved — both."""
    written = evaluate_plan(policy, _steps(app, view), facts)
    return plan_requirement([*written, *seen_decisions(app, policy, view, outputs, facts)])


def stricter_rows(rows: Sequence[Any], seen: Sequence[Decision]) -> list[tuple[Any, Decision]]:
    """(step row, decision) where the previewed reading is stricter than the stored verdict."""
    return [(row, decision) for row, decision in zip(rows, seen, strict=False)
            if RANK[decision.verdict] > RANK[type(decision.verdict)(row.verdict)]
            or (decision.verdict is decision.verdict.REQUIRE_APPROVAL and row.verdict == decision.verdict.value
                and decision.rule != row.rule)]
