"""Decide each step's verdict and say why, naming the rule and the concrete values.

Order of evaluation (documented in docs/policies.md):

1. ``guardrails`` — any guardrail that matches denies the step, wherever rules stand.
2. ``rules`` top to bottom — the FIRST rule that matches decides.
3. ``default`` — when no rule matches.

A rule whose match is UNKNOWN (a ``$ref`` argument, groups or time not known) is read the
cautious way: the step gets the stricter of that rule's verdict and what the rules below it
decide (deny > require_approval > allow). So an unknown value can make a verdict stricter,
never looser, than any concrete value would.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import Effect, Step
from bot.policy.matching import match_rule
from bot.policy.model import RANK, Decision, Policy, Rule, Verdict
from bot.policy.request_facts import RequestFacts
from bot.policy.requirement import PlanRequirement, plan_requirement
from bot.policy.totals import PlanStep
from bot.policy.truth import Truth

__all__ = ["DEFAULT_RULE", "Decision", "PlanRequirement", "PlanStep", "evaluate_plan", "evaluate_step",
           "plan_requirement"]

DEFAULT_RULE = "(default)"


def _groups_text(rule: Rule) -> str:
    if not rule.approvers:
        return ""
    joiner = " and " if rule.approvers_mode == "all_of" else " or "
    each = ", one from each of " if rule.approvers_mode == "all_of" else " from "
    return each + joiner.join(f"@{g}" for g in rule.approvers)


def _reason(rule: Rule, effect: Effect, texts: list[str], uncertain: bool) -> str:
    why = f"rule `{rule.name}`" + (", " + ", ".join(texts) if texts else "")
    if uncertain:
        why += " (treated as matching until known)"
    if rule.verdict is Verdict.ALLOW:
        head = f"{effect.value} step, allowed"
    elif rule.verdict is Verdict.DENY:
        head = "denied" + (f" ({rule.reason})" if rule.reason else "")
    else:
        plural = "s" if rule.needed > 1 else ""
        self_ok = "" if rule.requester_may_approve else ", not the requester"
        head = f"needs {rule.needed} approval{plural}{_groups_text(rule)}{self_ok}"
    return f"{head}: {why}"


def _decision(rule: Rule, effect: Effect, texts: list[str], uncertain: bool) -> Decision:
    asks = rule.verdict is Verdict.REQUIRE_APPROVAL
    return Decision(
        verdict=rule.verdict, rule=rule.name, reason=_reason(rule, effect, texts, uncertain),
        approvals=rule.needed if asks else 0, requester_may_approve=rule.requester_may_approve,
        approvers=tuple(rule.approvers) if asks else (), approvers_mode=rule.approvers_mode,
        rate_limit=rule.rate_limit, uncertain=uncertain)


def _default(policy: Policy, effect: Effect) -> Decision:
    reason = f"no rule matches this {effect.value} step; the policy's default is {policy.default.value}"
    approvals = 1 if policy.default is Verdict.REQUIRE_APPROVAL else 0
    return Decision(verdict=policy.default, rule=DEFAULT_RULE, reason=reason, approvals=approvals)


def _first_match(policy: Policy, rules: list[Rule], step: Step, effect: Effect,
                 facts: RequestFacts | None, plan: Sequence[PlanStep] | None) -> Decision:
    # walk bottom-up so an UNKNOWN rule can compare itself with what follows it
    decided = _default(policy, effect)
    for rule in reversed(rules):
        truth, texts = match_rule(policy, rule, step, effect, facts, plan)
        if truth is Truth.TRUE:
            decided = _decision(rule, effect, texts, uncertain=False)
        elif truth is Truth.UNKNOWN and RANK[rule.verdict] >= RANK[decided.verdict]:
            decided = _decision(rule, effect, texts, uncertain=True)
    return decided


def evaluate_step(policy: Policy, step: Step, effect: Effect, facts: RequestFacts | None = None,
                  plan: Sequence[PlanStep] | None = None) -> Decision:
    """The verdict for one step. Without ``facts``, requester groups, channel and time are unknown.
    ``plan``: every step of the plan (with this one), for totals; default: this step alone."""
    for guard in policy.guardrails:
        truth, texts = match_rule(policy, guard, step, effect, facts, plan)
        if truth is not Truth.FALSE:
            return _decision(guard, effect, texts, uncertain=truth is Truth.UNKNOWN)
    return _first_match(policy, policy.rules, step, effect, facts, plan)


def evaluate_plan(policy: Policy, steps: Sequence[tuple[Step, Effect]],
                  facts: RequestFacts | None = None) -> list[Decision]:
    """The verdict of every step of a plan, totals taken over the whole plan."""
    plan = [PlanStep.of(step, effect) for step, effect in steps]
    return [evaluate_step(policy, step, effect, facts, plan) for step, effect in steps]
