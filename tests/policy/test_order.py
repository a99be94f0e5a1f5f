"""First match, the default, guardrails that always deny, and the cautious reading of unknowns."""

from __future__ import annotations

from bot.domain import Effect, Step
from bot.policy import Verdict, evaluate_step, parse_policy, plan_requirement
from tests.policy.helpers import decide, facts

ORDERED = parse_policy("""
default: require_approval
groups: {finance: []}
guardrails:
  - name: never-void
    match: {action: void_invoice}
    reason: voiding is done by accounting
rules:
  - name: allow-everything-local
    match: {integration: local}
    verdict: allow
  - name: big-amounts
    match: {when: ["amount > 100000"]}
    verdict: require_approval
    approvers: [finance]
  - name: no-crm-writes
    match: {integration: crm, effect: write}
    verdict: deny
    reason: the CRM is read-only for Deputy
  - name: crm-is-fine
    match: {integration: crm}
    verdict: allow
""", "ordered.yaml")


def test_the_first_matching_rule_decides_even_when_a_later_one_is_stricter() -> None:
    d = decide(ORDERED, "local.create_invoice", {"amount": 999999})
    assert (d.verdict, d.rule) == (Verdict.ALLOW, "allow-everything-local")


def test_a_deny_rule_wins_over_every_rule_below_it() -> None:
    d = decide(ORDERED, "crm.create_contact", {})
    assert (d.verdict, d.rule) == (Verdict.DENY, "no-crm-writes")
    assert "the CRM is read-only" in d.reason


def test_no_matching_rule_gives_the_default() -> None:
    d = decide(ORDERED, "email.send", {"amount": 5})
    assert (d.verdict, d.rule) == (Verdict.REQUIRE_APPROVAL, "(default)")
    assert d.approvals == 1 and "default is require_approval" in d.reason


def test_a_guardrail_denies_even_where_an_earlier_rule_allows() -> None:
    d = decide(ORDERED, "local.void_invoice", {}, effect=Effect.DESTRUCTIVE)
    assert (d.verdict, d.rule) == (Verdict.DENY, "never-void")
    assert "voiding is done by accounting" in d.reason


def test_a_denied_step_denies_the_whole_plan_and_says_why() -> None:
    decisions = [decide(ORDERED, "local.list_invoices", effect=Effect.READ),
                 decide(ORDERED, "local.void_invoice", effect=Effect.DESTRUCTIVE)]
    req = plan_requirement(decisions)
    assert req.denied and not req.runs_alone
    assert req.quorum_problem(ORDERED, [], "slack:T1:alice") == "a step is denied: " + decisions[1].reason


def test_an_unknown_value_takes_the_stricter_of_the_rule_and_what_follows() -> None:
    # amount comes from step s0: it may be large, so the card asks @finance, not "allow"
    d = evaluate_step(ORDERED, Step(id="s1", action="email.send", args={"amount": {"$ref": "s0.total"}}),
                      Effect.WRITE, facts())
    assert (d.verdict, d.rule, d.uncertain) == (Verdict.REQUIRE_APPROVAL, "big-amounts", True)
    assert "amount is not known until an earlier step runs" in d.reason
    # ... but it never loosens: with an unknown amount the CRM write is still denied below
    crm = evaluate_step(ORDERED, Step(id="s1", action="crm.create_contact", args={"amount": {"$ref": "s0.x"}}),
                        Effect.WRITE, facts())
    assert crm.verdict is Verdict.DENY


def test_an_unknown_allow_never_allows() -> None:
    policy = parse_policy("""
default: deny
groups: {oncall: []}
rules:
  - {name: oncall-alone, match: {requester_in: [oncall]}, verdict: allow}
  - {name: others-ask, match: {effect: write}, verdict: require_approval}
""")
    unknown_groups = facts()
    unknown_groups = type(unknown_groups)(requester_key=unknown_groups.requester_key, requester_groups=None,
                                          channel_id="C1", platform="slack", now=unknown_groups.now)
    assert decide(policy, request=unknown_groups).verdict is Verdict.REQUIRE_APPROVAL
    assert decide(policy, request=facts("ana", "oncall")).verdict is Verdict.ALLOW
    assert evaluate_step(policy, Step(id="s1", action="x.y"), Effect.WRITE).rule == "others-ask"
