"""The policy file format: what loads, and what is refused with a line number."""

from __future__ import annotations

import pytest

from bot.policy import PolicyError, Verdict, parse_policy
from bot.policy.conditions import RuleCondition


@pytest.mark.parametrize(
    ("text", "arg", "op", "value"),
    [
        ("amount_cents > 100000", "amount_cents", ">", 100000),
        ("to outside_domains acme.example,acme.test", "to", "outside_domains", ["acme.example", "acme.test"]),
        ("to outside_domains [acme.example]", "to", "outside_domains", ["acme.example"]),
        ("attendees count_gt 10", "attendees", "count_gt", 10),
        ("status in [draft, sent]", "status", "in", ["draft", "sent"]),
        ("subject matches 'Invoice *'", "subject", "matches", "Invoice *"),
        ("customer.email exists", "customer.email", "exists", None),
    ],
)
def test_compact_conditions_parse_like_the_long_form(text: str, arg: str, op: str, value: object) -> None:
    assert RuleCondition.model_validate(text) == RuleCondition(arg=arg, op=op, value=value)


def _error(text: str) -> str:
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "team.yaml")
    return str(err.value)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("rules:\n  - name: a\n    verdict: deny\n    match:\n      when: ['amount ~ 3']\n",
         ["team.yaml, line 5", "unknown operator '~'"]),
        ("rules:\n  - name: a\n    verdict: deny\n    match:\n      when: [{arg: amount, op: '>', value: big}]\n",
         ["line 5", "needs a number"]),
        ("rules:\n  - name: a\n    verdict: deny\n    match:\n      when: ['to outside_domains']\n",
         ["line 5", "ARG OP VALUE"]),
        ("rules:\n  - name: a\n    verdict: deny\n    match:\n      during: {hours: '9-18'}\n",
         ["line 5", "not a time of day"]),
        ("rules:\n  - name: a\n    verdict: deny\n    match:\n      during: {timezone: Mars/Olympus}\n",
         ["line 5", "unknown time zone"]),
        ("rules:\n  - name: a\n    verdict: deny\n    match:\n      during: {days: [funday]}\n",
         ["line 5", "unknown day"]),
        ("rules:\n  - name: a\n    verdict: allow\n    rate_limit: {max: 5, per: hourly}\n",
         ["line 4", "30m, 1h or 1d"]),
        ("rules:\n  - name: a\n    verdict: allow\n    approvers: [x]\n", ["line 2", "only make sense"]),
        ("groups: {a: [], b: []}\nrules:\n  - name: r\n    verdict: require_approval\n"
         "    approvers: [a]\n    approvers_mode: all_of\n", ["line 3", "at least two"]),
        ("guardrails:\n  - name: g\n    verdict: allow\n    reason: x\n", ["line 2", "can only deny"]),
        ("guardrails:\n  - name: g\n    match: {effect: write}\n", ["line 2", "reason"]),
        ("rules:\n  - name: a\n    verdict: deny\n    match: {requester_in: [interns]}\n",
         ["unknown group", "interns"]),
        ("guardrails:\n  - {name: a, reason: x}\nrules:\n  - {name: a, verdict: allow}\n", ["duplicate rule names: a"]),
    ],
)
def test_mistakes_are_refused_with_file_line_and_cause(text: str, fragments: list[str]) -> None:
    message = _error(text)
    assert message.startswith("team.yaml")
    for fragment in fragments:
        assert fragment in message, message


def test_a_full_rule_loads_into_typed_parts() -> None:
    policy = parse_policy("""
groups: {finance: ["slack:T1:U1", U2], legal: []}
rules:
  - name: big
    match:
      integration: invoicing
      action: create_invoice_item
      effect: write
      when: ["amount > 100000", {arg: to, op: outside_domains, value: [acme.example]}]
      requester_in: finance
      channel: [C1, "discord:42"]
      during: {days: "mon..fri", hours: "09:00-18:00", timezone: Europe/London}
    verdict: require_approval
    approvals: 2
    approvers: [finance, legal]
    approvers_mode: all_of
    requester_may_approve: false
    rate_limit: {max: 20, per: 1h, scope: team}
""")
    rule = policy.rules[0]
    assert rule.verdict is Verdict.REQUIRE_APPROVAL
    assert rule.match.integration == ["invoicing"] and rule.match.requester_in == ["finance"]
    assert [c.op for c in rule.match.when] == [">", "outside_domains"]
    assert rule.match.during is not None and rule.match.during.days == ["mon", "tue", "wed", "thu", "fri"]
    assert rule.rate_limit is not None and rule.rate_limit.window.total_seconds() == 3600
    assert rule.needed == 2
