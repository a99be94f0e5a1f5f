"""Who may approve, and when a plan has enough approvals: any-of, all-of, with or without the requester."""

from __future__ import annotations

from bot.domain import Effect
from bot.policy import parse_policy, plan_requirement
from tests.policy.helpers import actor, decide

POLICY = parse_policy("""
default: deny
groups:
  finance: ["slack:T1:ana", "slack:T1:ben", "slack:T1:cy"]
  legal: ["slack:T1:lea"]
  treasury: []
rules:
  - name: huge
    match: {when: ["amount > 1000000"]}
    verdict: require_approval
    approvers: [legal, treasury]
    approvers_mode: all_of
    requester_may_approve: false
  - name: large
    match: {when: ["amount > 100000"]}
    verdict: require_approval
    approvals: 2
    approvers: [finance]
    requester_may_approve: false
  - name: mail
    match: {action: send}
    verdict: require_approval
  - name: small
    match: {effect: write}
    verdict: require_approval
    approvers: [finance, legal]
""")

ANA, BEN, CY, LEA = actor("ana"), actor("ben"), actor("cy"), actor("lea")
TESS = actor("tess", "treasury")  # in @treasury by Slack user group only
OUTSIDER = actor("oscar")


def requirement(*amounts: int, mail: bool = False) -> object:
    decisions = [decide(POLICY, args={"amount": a}) for a in amounts]
    if mail:
        decisions.append(decide(POLICY, "email.send", effect=Effect.WRITE))
    return plan_requirement(decisions)


def test_two_of_finance_not_the_requester() -> None:
    req = plan_requirement([decide(POLICY, args={"amount": 240000})])
    assert req.approvals == 2 and req.approvers == ("finance",)
    assert req.may_approve(POLICY, ANA, ANA.key) == (
        False, "the policy needs someone other than the requester to approve this plan")
    assert req.may_approve(POLICY, OUTSIDER, ANA.key) == (False, "only members of @finance may approve this plan")
    assert req.may_approve(POLICY, BEN, ANA.key) == (True, "")
    assert req.quorum_problem(POLICY, [ANA, BEN], ANA.key) == \
        "still needs 2 approvals from @finance, not the requester"
    assert req.quorum_problem(POLICY, [BEN, BEN], ANA.key) is not None  # one person counts once
    assert req.quorum_problem(POLICY, [BEN, CY], ANA.key) is None


def test_any_of_groups() -> None:
    req = plan_requirement([decide(POLICY, args={"amount": 5})])
    assert req.may_approve(POLICY, LEA, ANA.key) == (True, "")
    assert req.may_approve(POLICY, ANA, ANA.key) == (True, "")  # the requester may, here
    assert req.quorum_problem(POLICY, [LEA], ANA.key) is None
    assert req.quorum_problem(POLICY, [OUTSIDER], ANA.key) is not None


def test_all_of_needs_a_distinct_person_from_each_group() -> None:
    req = plan_requirement([decide(POLICY, args={"amount": 5_000_000})])
    assert req.approvals == 2
    assert req.quorum_problem(POLICY, [LEA], BEN.key) is not None
    assert req.quorum_problem(POLICY, [LEA, BEN], BEN.key) is not None  # finance is not asked for
    assert req.quorum_problem(POLICY, [LEA, TESS], BEN.key) is None
    # one person in both groups cannot be both halves of the quorum
    both = actor("lea", "treasury")
    assert req.quorum_problem(POLICY, [both], BEN.key) is not None
    assert req.quorum_problem(POLICY, [both, TESS], BEN.key) is None
    # ... and the requester counts for neither, even when in both groups
    assert req.quorum_problem(POLICY, [both, TESS], both.key) is not None
    # two people of one group are not "one from each": treasury has not approved
    leo = actor("leo", "legal")
    assert req.quorum_problem(POLICY, [LEA, leo], BEN.key) == \
        "still needs 2 approvals (one from each of @legal and @treasury), not the requester"


def test_every_step_need_must_be_met() -> None:
    req = plan_requirement([decide(POLICY, args={"amount": 240000}), decide(POLICY, "email.send")])
    assert len(req.needs) == 2
    # two finance approvals also satisfy "anyone, once" for the email
    assert req.quorum_problem(POLICY, [BEN, CY], ANA.key) is None
    assert req.quorum_problem(POLICY, [OUTSIDER], ANA.key) == \
        "still needs 2 approvals from @finance, not the requester"
    # an outsider may still approve: their approval counts toward the email's need
    assert req.may_approve(POLICY, OUTSIDER, ANA.key) == (True, "")
    # the card's summary keeps the strictest: one step excludes the requester, so the plan does
    assert req.requester_may_approve is False


def test_platform_groups_come_from_the_approver() -> None:
    req = plan_requirement([decide(POLICY, args={"amount": 5_000_000})])
    assert req.may_approve(POLICY, actor("tess"), ANA.key)[0] is False
    assert req.may_approve(POLICY, TESS, ANA.key) == (True, "")


def test_a_person_of_another_team_never_counts_even_in_the_named_group() -> None:
    # a Slack Connect channel lets another workspace's people click: they are not the goal's
    # team, so neither "anyone may approve" nor a platform group of theirs makes them count
    stranger = actor("ben", team="T2")
    anyone = requirement(mail=True)
    assert anyone.may_approve(POLICY, stranger, ANA.key)[0] is False
    assert anyone.quorum_problem(POLICY, [stranger], ANA.key) == "still needs 1 approval"
    huge = requirement(5_000_000)
    assert huge.may_approve(POLICY, actor("tess", "treasury", team="T2"), BEN.key)[0] is False
    assert huge.quorum_problem(POLICY, [LEA, actor("tess", "treasury", team="T2")], BEN.key) is not None
    assert huge.quorum_problem(POLICY, [LEA, TESS], BEN.key) is None  # the same group, of T1: counts
