"""Whether one rule matches one step in one request, with the concrete words why."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.domain import Effect, Step
from bot.policy.model import Policy, Rule
from bot.policy.request_facts import RequestFacts, member_of, team_of_key
from bot.policy.totals import PlanStep, evaluate_total, selected_calls
from bot.policy.truth import Check, Truth, combine


def _step_checks(rule: Rule, step: Step, effect: Effect) -> list[Check]:
    m = rule.match
    checks: list[Check] = []
    if m.integration is not None:
        ok = step.integration in m.integration
        checks.append(Check(Truth.TRUE if ok else Truth.FALSE))
    if m.action is not None:
        ok = step.action in m.action or step.action_name in m.action
        checks.append(Check(Truth.TRUE if ok else Truth.FALSE))
    if m.effect is not None:
        checks.append(Check(Truth.TRUE if effect in m.effect else Truth.FALSE))
    return checks


def in_group(policy: Policy, group: str, key: str, platform_groups: frozenset[str] | None,
             home_team: str | None = None) -> Truth:
    """Membership by the policy file (actor key or bare user id) or by a platform group of that name.

    ``home_team`` (``platform:team``) is the goal's team: a bare id matches only there, and a
    person of another team is in no group of this one, whatever their own workspace calls
    its groups."""
    if home_team is not None and team_of_key(key) != home_team:
        return Truth.FALSE
    if member_of(policy.groups.get(group, []), key, home_team):
        return Truth.TRUE
    if platform_groups is None:
        return Truth.UNKNOWN
    return Truth.TRUE if group in platform_groups else Truth.FALSE


def _requester_check(policy: Policy, groups: list[str], facts: RequestFacts | None) -> Check:
    listed = ", ".join(f"@{g}" for g in groups)
    if facts is None:
        return Check(Truth.UNKNOWN, f"the requester's groups are not known (rule wants {listed})")
    home = team_of_key(facts.requester_key)
    truths = [in_group(policy, g, facts.requester_key, facts.requester_groups, home) for g in groups]
    if Truth.TRUE in truths:
        hit = groups[truths.index(Truth.TRUE)]
        return Check(Truth.TRUE, f"requester is in @{hit}")
    if Truth.UNKNOWN in truths:
        return Check(Truth.UNKNOWN, f"the requester's platform groups are not known (rule wants {listed})")
    return Check(Truth.FALSE, f"requester is not in {listed}")


def _channel_check(channels: list[str], facts: RequestFacts | None) -> Check:
    if facts is None or facts.channel_id is None:
        return Check(Truth.UNKNOWN, "the channel is not known")
    names = {facts.channel_id, facts.platform, f"{facts.platform}:{facts.team_id}",
             f"{facts.platform}:{facts.team_id}:{facts.channel_id}"}
    ok = bool(names & set(channels))
    return Check(Truth.TRUE if ok else Truth.FALSE,
                 f"channel {facts.channel_id} {'is' if ok else 'is not'} listed")


def _time_checks(rule: Rule, facts: RequestFacts | None) -> list[Check]:
    m = rule.match
    checks: list[Check] = []
    for window, inside in ((m.during, True), (m.outside, False)):
        if window is None:
            continue
        if facts is None or facts.now is None:
            checks.append(Check(Truth.UNKNOWN, "the time of the request is not known"))
            continue
        ok = window.contains(facts.now) is inside
        where = "inside" if window.contains(facts.now) else "outside"
        stamp = facts.now.astimezone(ZoneInfo(window.timezone)).strftime("%a %H:%M")
        checks.append(Check(Truth.TRUE if ok else Truth.FALSE, f"{stamp} is {where} {window.describe()}"))
    return checks


def match_rule(policy: Policy, rule: Rule, step: Step, effect: Effect,
               facts: RequestFacts | None, plan: Sequence[PlanStep] | None = None) -> tuple[Truth, list[str]]:
    """The rule's truth for this step, and the words of every condition that held or is unknown.
    Totals (``sum(...)``, ``count(...)``) are taken over ``plan`` (default: this step alone)."""
    checks = _step_checks(rule, step, effect)
    if combine(checks) is Truth.FALSE:
        return Truth.FALSE, []  # cheap parts first: most rules fail on action or effect
    m = rule.match
    checks += [c.evaluate(step.args) for c in m.when if c.total is None]
    totals = [c for c in m.when if c.total is not None]
    if totals:
        whole = plan if plan is not None else [PlanStep.of(step, effect)]
        calls = selected_calls(rule, whole, lambda s, e: combine(_step_checks(rule, s, e)))
        checks += [evaluate_total(c, calls) for c in totals]
    if m.requester_in is not None:
        checks.append(_requester_check(policy, m.requester_in, facts))
    if m.channel is not None:
        checks.append(_channel_check(m.channel, facts))
    checks += _time_checks(rule, facts)
    truth = combine(checks)
    texts = [c.text for c in checks if c.text and c.truth is not Truth.FALSE]
    if truth is Truth.FALSE:
        texts = [c.text for c in checks if c.text and c.truth is Truth.FALSE]
    return truth, texts
