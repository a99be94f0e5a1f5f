"""Totals over a whole plan: a payment split under a per-step limit is still over the total."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import Effect, Step
from bot.policy import PolicyError, Verdict, evaluate_plan, explain_command, parse_policy
from bot.policy.conditions import RuleCondition
from bot.registry import discover
from bot.store.database import Database
from tests.policy.helpers import facts
from tests.policy.test_ratelimit import ALICE, NOW, Effects, Ledger

POLICY = parse_policy("""
default: allow
guardrails:
  - name: payments-per-step
    match: {action: record_payment, when: "amount_cents > 100000"}
    reason: no payment above 1,000.00
  - name: payments-per-plan
    match: {action: record_payment, when: "sum(amount_cents) > 100000"}
    reason: no more than 1,000.00 of payments in one plan
rules:
  - name: mail-outside
    match:
      integration: email
      when: "count(recipients outside_domains acme.example) > 0"
    verdict: require_approval
  - name: big-invites
    match: {action: create_event, when: "count(attendees) > 10"}
    verdict: require_approval
""", "totals.yaml")


def payment(i: int, cents: int, invoice: Any = None) -> tuple[Step, Effect]:
    return Step(id=f"s{i}", action="local.record_payment",
                args={"invoice_id": invoice if invoice is not None else i, "amount_cents": cents}), Effect.WRITE


def verdicts(steps: list[tuple[Step, Effect]]) -> list[Verdict]:
    return [d.verdict for d in evaluate_plan(POLICY, steps, facts())]


def test_a_payment_split_under_the_per_step_limit_is_denied() -> None:
    one = [payment(1, 150000)]
    assert verdicts(one) == [Verdict.DENY]
    split = [payment(i, 30000) for i in range(1, 6)]  # 5 x 300.00, each under 1,000.00
    decisions = evaluate_plan(POLICY, split, facts())
    assert [d.verdict for d in decisions] == [Verdict.DENY] * 5
    assert decisions[0].rule == "payments-per-plan"
    assert "sum(amount_cents) over the plan (5 calls) is 150000, > 100000" in decisions[0].reason
    # under the total the same split runs; other steps of the plan do not count
    note = Step(id="n", action="local.add_note", args={"subject": "deal", "subject_id": 1, "body": "x",
                                                       "amount_cents": 10**9})
    assert verdicts([*[payment(i, 20000) for i in range(1, 6)], (note, Effect.WRITE)]) == [Verdict.ALLOW] * 6


def test_a_for_each_payment_is_unknown_until_its_items_are_known_so_the_guardrail_denies() -> None:
    step = Step(id="s2", action="local.record_payment", for_each="s1.invoices",
                args={"invoice_id": {"$ref": "item.id"}, "amount_cents": {"$ref": "item.outstanding_cents"}})
    [decision] = evaluate_plan(POLICY, [(step, Effect.WRITE)], facts())
    assert decision.verdict is Verdict.DENY and decision.uncertain


def test_count_of_recipients_outside_a_domain_across_the_plan() -> None:
    inside = Step(id="s1", action="email.send", args={"to": "ana@acme.example", "subject": "a", "body": "b"})
    outside = Step(id="s2", action="email.send", args={"to": ["bob@acme.example"], "cc": "eve@evil.example",
                                                       "subject": "a", "body": "b"})
    assert verdicts([(inside, Effect.WRITE)]) == [Verdict.ALLOW]
    # one outsider anywhere in the plan makes every mail step of it wait
    assert verdicts([(inside, Effect.WRITE), (outside, Effect.WRITE)]) == [Verdict.REQUIRE_APPROVAL] * 2
    later = Step(id="s3", action="email.send", args={"to": {"$ref": "s1.email"}, "subject": "a", "body": "b"})
    known_outsider = evaluate_plan(POLICY, [(outside, Effect.WRITE), (later, Effect.WRITE)], facts())
    assert [d.uncertain for d in known_outsider] == [False, False]  # already over: no need to know s3


def test_count_of_attendees_adds_up_events() -> None:
    def event(i: int, n: int) -> tuple[Step, Effect]:
        return Step(id=f"e{i}", action="local.create_event", args={
            "title": "t", "start": "2026-03-05T10:00:00Z", "end": "2026-03-05T11:00:00Z",
            "attendees": [f"p{i}-{k}@acme.example" for k in range(n)]}), Effect.WRITE
    assert verdicts([event(1, 6)]) == [Verdict.ALLOW]
    assert verdicts([event(1, 6), event(2, 6)]) == [Verdict.REQUIRE_APPROVAL] * 2


@pytest.mark.parametrize(("text", "expected"), [
    ("sum(amount) > 100000", {"total": "sum", "arg": "amount", "op": ">", "value": 100000}),
    ("count(*) >= 5", {"total": "count", "arg": "*", "op": ">=", "value": 5}),
    ("count(to outside_domains acme.example, acme.test) > 0",
     {"total": "count", "arg": "to", "op": ">", "value": 0, "inner_op": "outside_domains",
      "inner_value": ["acme.example", "acme.test"]}),
])
def test_compact_and_mapping_forms(text: str, expected: dict[str, Any]) -> None:
    parsed = RuleCondition.model_validate(text)
    assert parsed.model_dump(exclude_defaults=True) == expected
    if "inner_op" not in expected:
        kind = expected["total"]
        same = RuleCondition.model_validate({kind: expected["arg"], "op": expected["op"], "value": expected["value"]})
        assert same == parsed


@pytest.mark.parametrize(("when", "message"), [
    ("sum(amount) > lots", "must be compared with a number"),
    ("sum(amount) contains 3", "a total reads `sum\\(ARG\\) OP NUMBER`"),
    ("sum(*) > 3", "nothing to add up"),
    ("count(to outside_domains) > 0", "expected `ARG OP VALUE`"),
    ("count(amount ~ 3) > 0", "unknown operator"),
])
def test_bad_totals_are_refused_with_the_line(when: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message) as refused:
        parse_policy(f"rules:\n  - name: r\n    match: {{when: \"{when}\"}}\n    verdict: deny\n", "bad.yaml")
    assert "bad.yaml" in str(refused.value)


def test_explain_takes_a_whole_plan(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(_SOURCE)
    plan = ('[' + ", ".join(f'{{"action": "local.record_payment", "args": {{"invoice_id": {i}, "amount_cents": 30000}}}}'
                            for i in range(1, 6)) + ']')
    code, text = explain_command(path, "alice", None, "{}", discover(), plan_json=plan)
    assert code == 0, text
    assert "a plan of 5 steps" in text and text.count("→ deny") == 5
    assert "guardrail `payments-per-step` (deny): no — amount_cents 30000 not > 100000" in text
    assert "guardrail `payments-per-plan` (deny): matches — sum(amount_cents) over the plan (5 calls) is 150000" in text
    code, text = explain_command(path, "alice", None, "{}", discover(), plan_json='{"action": "x"}')
    assert code == 2 and "--plan must be a JSON list" in text
    code, text = explain_command(path, "alice", None, "{}", discover())
    assert code == 2 and "--plan" in text


_SOURCE = """
default: allow
guardrails:
  - name: payments-per-step
    match: {action: record_payment, when: "amount_cents > 100000"}
    reason: no payment above 1,000.00
  - name: payments-per-plan
    match: {action: record_payment, when: "sum(amount_cents) > 100000"}
    reason: no more than 1,000.00 of payments in one plan
"""

FAST = settings(max_examples=60, deadline=None)


@FAST
@given(st.lists(st.integers(1, 100000), min_size=1, max_size=8))
def test_splitting_never_changes_the_verdict_of_a_total(parts: list[int]) -> None:
    """However a total is split into steps, the plan is denied exactly when the total is over."""
    steps = [payment(i, cents) for i, cents in enumerate(parts, start=1)]
    denied = Verdict.DENY in verdicts(steps)
    assert denied == (sum(parts) > 100000)
    assert (Verdict.DENY in verdicts([payment(1, sum(parts))])) == denied


@FAST
@given(st.lists(st.integers(1, 50000), min_size=1, max_size=6), st.integers(0, 5))
def test_a_step_not_known_yet_makes_a_total_stricter_never_looser(parts: list[int], where: int) -> None:
    steps = [payment(i, cents) for i, cents in enumerate(parts, start=1)]
    unknown = (Step(id="s99", action="local.record_payment",
                    args={"invoice_id": 1, "amount_cents": {"$ref": "s0.amount"}}), Effect.WRITE)
    with_unknown = [*steps[:where], unknown, *steps[where:]]
    assert Verdict.DENY in verdicts(with_unknown)  # cautious: the unknown amount could be anything


LIMITS = parse_policy("""
default: allow
rules:
  - name: payments
    match: {action: record_payment}
    verdict: allow
    rate_limit: {max: 200000, sum: amount_cents, per: 1d, scope: user}
""", "amounts.yaml")


async def test_a_rate_limit_caps_the_amount_per_period(database: Database) -> None:
    from bot.policy.ratelimit import rate_limit_problem

    ledger = Ledger(database)
    await ledger.ran(ALICE, "local.record_payment", ago=timedelta(hours=2), args={"invoice_id": 1, "amount_cents": 90000})
    await ledger.ran(ALICE, "local.record_payment", ago=timedelta(hours=3),
                     args=[{"invoice_id": 2, "amount_cents": 50000}, {"invoice_id": 3, "amount_cents": 40000}])
    await ledger.ran(ALICE, "local.record_payment", ago=timedelta(days=2), args={"invoice_id": 4, "amount_cents": 10**6})

    async def check(*amounts: int) -> str | None:
        args = [{"invoice_id": 9, "amount_cents": a} for a in amounts]
        async with database.session(all_teams=True) as s:
            return await rate_limit_problem(s, LIMITS, Step(id="s1", action="local.record_payment", args=args[0]),
                                            ALICE, "T1", NOW, registry=Effects(), calls=len(args), arg_list=args)

    assert await check(20000) is None  # 180000 + 20000 = 200000
    message = await check(10000, 15000)
    assert message is not None
    assert "at most 200000 amount_cents per 1d per user" in message
    assert "you already made 180000 amount_cents in the last 1d, and this step would add 25000" in message
