import pytest

from bot.domain import Actor, Effect, Step
from bot.policy import PolicyError, Verdict, evaluate_step, load_policy, plan_requirement
from bot.policy.model import parse_policy
from tests.support.paths import POLICIES

DEFAULT = load_policy(POLICIES / "default.yaml")
ALICE = Actor(platform="shell", team_id="local", user_id="alice", display_name="Alice")
BOB = Actor(platform="shell", team_id="local", user_id="bob", display_name="Bob")


@pytest.mark.parametrize(
    ("action", "effect", "verdict", "rule"),
    [
        ("local.list_invoices", Effect.READ, Verdict.ALLOW, "reads-run-alone"),
        ("local.create_event", Effect.WRITE, Verdict.REQUIRE_APPROVAL, "writes-need-one-approval"),
        ("local.void_invoice", Effect.DESTRUCTIVE, Verdict.REQUIRE_APPROVAL, "writes-need-one-approval"),
    ],
)
def test_default_policy_verdicts(action: str, effect: Effect, verdict: Verdict, rule: str) -> None:
    decision = evaluate_step(DEFAULT, Step(id="s1", action=action), effect)
    assert decision.verdict is verdict
    assert decision.rule == rule
    assert f"rule `{rule}`" in decision.reason  # the card names the rule, whatever the verdict


def test_default_policy_lets_the_requester_approve_with_one_approval() -> None:
    step = Step(id="s1", action="local.send_reminder")
    req = plan_requirement([evaluate_step(DEFAULT, step, Effect.WRITE)])
    assert (req.approvals, req.requester_may_approve, req.denied) == (1, True, False)
    assert req.may_approve(DEFAULT, ALICE, ALICE.key) == (True, "")


def test_read_only_plan_runs_alone() -> None:
    req = plan_requirement([evaluate_step(DEFAULT, Step(id="s1", action="local.list_events"), Effect.READ)])
    assert req.runs_alone


POLICY = """
version: 1
default: deny
groups:
  finance: ["shell:local:bob"]
rules:
  - name: never-void
    match: {action: local.void_invoice}
    verdict: deny
    reason: voiding invoices is done by accounting, not by Deputy
  - name: reminders-by-finance
    match: {action: [send_reminder]}
    verdict: require_approval
    approvals: 1
    approvers: [finance]
    requester_may_approve: false
  - name: reads
    match: {effect: read}
    verdict: allow
"""


def test_first_matching_rule_wins_and_default_applies() -> None:
    policy = parse_policy(POLICY)
    void = evaluate_step(policy, Step(id="s1", action="local.void_invoice"), Effect.DESTRUCTIVE)
    assert void.verdict is Verdict.DENY and "accounting" in void.reason
    unknown = evaluate_step(policy, Step(id="s1", action="local.create_event"), Effect.WRITE)
    assert unknown.verdict is Verdict.DENY and unknown.rule == "(default)"


def test_group_approvers_and_requester_exclusion() -> None:
    policy = parse_policy(POLICY)
    req = plan_requirement([evaluate_step(policy, Step(id="s1", action="local.send_reminder"), Effect.WRITE)])
    ok, why = req.may_approve(policy, ALICE, requester_key=BOB.key)
    assert not ok and "@finance" in why
    ok, why = req.may_approve(policy, BOB, requester_key=BOB.key)
    assert not ok and "other than the requester" in why
    assert req.may_approve(policy, BOB, requester_key=ALICE.key) == (True, "")


def test_a_denied_step_denies_the_plan() -> None:
    policy = parse_policy(POLICY)
    decisions = [
        evaluate_step(policy, Step(id="s1", action="local.list_invoices"), Effect.READ),
        evaluate_step(policy, Step(id="s2", action="local.void_invoice"), Effect.DESTRUCTIVE),
    ]
    assert plan_requirement(decisions).denied


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules:\n  - name: x\n    verdict: maybe\n", "line 2"),
        ("rules:\n  - name: x\n    verdict: allow\n    match: {colour: red}\n", "colour"),
        ("rules: [\n", "not valid YAML"),
        ("rules:\n  - {name: a, verdict: allow}\n  - {name: a, verdict: deny}\n", "duplicate rule"),
        ("rules:\n  - {name: a, verdict: require_approval, approvers: [ops]}\n", "unknown group"),
        ("- just a list\n", "mapping"),
    ],
)
def test_invalid_policies_are_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "test.yaml")
    assert message in str(err.value)
    assert str(err.value).startswith("test.yaml")


def test_every_shipped_policy_is_valid() -> None:
    shipped = sorted(POLICIES.glob("*.yaml"))
    assert len(shipped) >= 2, shipped
    for path in shipped:
        assert load_policy(path).rules, path
