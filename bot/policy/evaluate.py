"""Decide each step's verdict (first matching rule wins) and what a plan needs to run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain import Actor, Effect, Step
from bot.policy.model import Policy, Rule, Verdict


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    rule: str
    reason: str
    approvals: int = 0
    requester_may_approve: bool = True
    approvers: tuple[str, ...] = ()


def _matches(rule: Rule, step: Step, effect: Effect) -> bool:
    m = rule.match
    if m.integration is not None and step.integration not in m.integration:
        return False
    if m.action is not None and step.action not in m.action and step.action_name not in m.action:
        return False
    return m.effect is None or effect in m.effect


def _explain(rule: Rule, effect: Effect) -> str:
    if rule.verdict is Verdict.ALLOW:
        return rule.reason or f"{effect.value} step, allowed by rule `{rule.name}`"
    if rule.verdict is Verdict.DENY:
        return rule.reason or f"denied by rule `{rule.name}`"
    who = " from " + ", ".join(f"@{g}" for g in rule.approvers) if rule.approvers else ""
    plural = "s" if rule.approvals > 1 else ""
    self_ok = "" if rule.requester_may_approve else ", not the requester"
    return rule.reason or f"needs {rule.approvals} approval{plural}{who}{self_ok}: rule `{rule.name}`"


def evaluate_step(policy: Policy, step: Step, effect: Effect) -> Decision:
    for rule in policy.rules:
        if _matches(rule, step, effect):
            approvals = rule.approvals if rule.verdict is Verdict.REQUIRE_APPROVAL else 0
            return Decision(
                verdict=rule.verdict,
                rule=rule.name,
                reason=_explain(rule, effect),
                approvals=approvals,
                requester_may_approve=rule.requester_may_approve,
                approvers=tuple(rule.approvers),
            )
    reason = f"no rule matches this {effect.value} step; the policy's default is {policy.default.value}"
    approvals = 1 if policy.default is Verdict.REQUIRE_APPROVAL else 0
    return Decision(verdict=policy.default, rule="(default)", reason=reason, approvals=approvals)


@dataclass(frozen=True)
class PlanRequirement:
    """What a whole plan version needs before it may run."""

    denied: bool
    approvals: int
    requester_may_approve: bool
    approvers: tuple[str, ...]

    @property
    def runs_alone(self) -> bool:
        return not self.denied and self.approvals == 0

    def may_approve(self, policy: Policy, actor: Actor, requester_key: str) -> tuple[bool, str]:
        """Whether ``actor`` may approve, and if not, why (said to them in private)."""
        if actor.key == requester_key and not self.requester_may_approve:
            return False, "the policy needs someone other than the requester to approve this plan"
        if self.approvers:
            allowed = set().union(*(policy.members(g) for g in self.approvers))
            if actor.key not in allowed and actor.user_id not in allowed:
                groups = ", ".join(f"@{g}" for g in self.approvers)
                return False, f"only members of {groups} may approve this plan"
        return True, ""


def plan_requirement(decisions: Iterable[Decision]) -> PlanRequirement:
    items = list(decisions)
    needing = [d for d in items if d.verdict is Verdict.REQUIRE_APPROVAL]
    approvers: list[str] = []
    for d in needing:
        approvers.extend(g for g in d.approvers if g not in approvers)
    return PlanRequirement(
        denied=any(d.verdict is Verdict.DENY for d in items),
        approvals=max((d.approvals for d in needing), default=0),
        requester_may_approve=all(d.requester_may_approve for d in needing),
        approvers=tuple(approvers),
    )
