"""Each matcher and each condition operator, table-driven: one row, one fact a user relies on."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain import Effect
from bot.policy import Verdict
from tests.policy.helpers import decide, facts, policy_with

REF = {"$ref": "s1.value"}


@pytest.mark.parametrize(
    ("match", "action", "effect", "hit"),
    [
        ("{integration: local}", "local.create_invoice", Effect.WRITE, True),
        ("{integration: [crm, invoicing]}", "local.create_invoice", Effect.WRITE, False),
        ("{action: create_invoice}", "local.create_invoice", Effect.WRITE, True),
        ("{action: local.create_invoice}", "local.create_invoice", Effect.WRITE, True),
        ("{action: invoicing.create_invoice}", "local.create_invoice", Effect.WRITE, False),
        ("{effect: [write, destructive]}", "local.void_invoice", Effect.DESTRUCTIVE, True),
        ("{effect: read}", "local.create_invoice", Effect.WRITE, False),
        ("{}", "local.anything", Effect.READ, True),
        ("{integration: local, effect: read}", "local.create_invoice", Effect.WRITE, False),
    ],
)
def test_step_matchers(match: str, action: str, effect: Effect, hit: bool) -> None:
    policy = policy_with(f"  - {{name: r, match: {match}, verdict: deny, reason: nope}}\n")
    assert (decide(policy, action, effect=effect).verdict is Verdict.DENY) is hit


@pytest.mark.parametrize(
    ("condition", "args", "hit"),
    [
        ("{arg: amount_cents, op: '>', value: 100000}", {"amount_cents": 240000}, True),
        ("{arg: amount_cents, op: '>', value: 100000}", {"amount_cents": 100000}, False),
        ("'amount_cents >= 100000'", {"amount_cents": 100000}, True),
        ("'amount_cents < 0'", {"amount_cents": -5}, True),
        ("'amount_cents <= 10'", {"amount_cents": 11}, False),
        ("'amount_cents > 10'", {"amount_cents": "lots"}, False),
        ("'amount_cents > 10'", {}, False),
        ("'currency == eur'", {"currency": "eur"}, True),
        ("'currency != eur'", {"currency": "usd"}, True),
        ("'status in [draft, sent]'", {"status": "sent"}, True),
        ("'status not_in [draft, sent]'", {"status": "sent"}, False),
        ("'tags contains urgent'", {"tags": ["urgent", "q4"]}, True),
        ("'subject contains Overdue'", {"subject": "Re: Overdue invoice"}, True),
        ("\"subject matches 'Invoice *'\"", {"subject": "Invoice 42"}, True),
        ("\"subject matches 'Invoice *'\"", {"subject": "Reminder"}, False),
        ("'to outside_domains acme.example'", {"to": "bob@client.example"}, True),
        ("'to outside_domains acme.example'", {"to": "Bob <bob@ACME.example>"}, False),
        ("'to outside_domains acme.example'", {"to": "eve@eu.acme.example"}, False),
        ("'to outside_domains acme.example'", {"to": ["a@acme.example", "x@evil.example"]}, True),
        ("'to outside_domains acme.example'", {"to": [{"email": "x@evil.example"}]}, True),
        ("'to inside_domains acme.example'", {"to": ["a@acme.example", "b@acme.example"]}, True),
        ("'to inside_domains acme.example'", {"to": ["a@acme.example", "x@evil.example"]}, False),
        ("'attendees count_gt 10'", {"attendees": [f"p{i}@a.example" for i in range(11)]}, True),
        ("'attendees count_gt 10'", {"attendees": [f"p{i}@a.example" for i in range(10)]}, False),
        ("'attendees count_gte 10'", {"attendees": [f"p{i}@a.example" for i in range(10)]}, True),
        ("'attendees count_lt 2'", {"attendees": ["a"]}, True),
        ("'customer.email exists'", {"customer": {"email": "a@b.example"}}, True),
        ("'customer.email exists'", {"customer": {}}, False),
        ("'customer.tier == gold'", {"customer": {"tier": "gold"}}, True),
    ],
)
def test_condition_operators(condition: str, args: dict[str, Any], hit: bool) -> None:
    policy = policy_with(f"  - {{name: r, match: {{when: [{condition}]}}, verdict: deny, reason: nope}}\n")
    assert (decide(policy, args=args).verdict is Verdict.DENY) is hit


@pytest.mark.parametrize(
    ("condition", "args", "unknown"),
    [
        ("'amount_cents > 100'", {"amount_cents": REF}, True),
        ("'to outside_domains acme.example'", {"to": [REF, "a@acme.example"]}, True),
        # one known outsider decides, whatever the referenced address turns out to be
        ("'to outside_domains acme.example'", {"to": [REF, "x@evil.example"]}, False),
        ("'attendees count_gt 1'", {"attendees": REF}, True),
        # the length of a list is known even when its elements are not
        ("'attendees count_gt 1'", {"attendees": [REF, REF]}, False),
        ("'customer.tier == gold'", {"customer": REF}, True),
    ],
)
def test_a_condition_on_a_later_value_is_unknown(condition: str, args: dict[str, Any], unknown: bool) -> None:
    policy = policy_with(f"  - {{name: r, match: {{when: [{condition}]}}, verdict: deny, reason: nope}}\n")
    decision = decide(policy, args=args)
    assert decision.verdict is Verdict.DENY
    assert decision.uncertain is unknown


def test_requester_groups_from_the_policy_file_or_the_platform() -> None:
    policy = policy_with("  - {name: r, match: {requester_in: [finance]}, verdict: deny, reason: nope}\n",
                         groups="{finance: [\"slack:T1:ana\", ben]}")
    assert decide(policy, request=facts("ana")).verdict is Verdict.DENY  # by actor key
    assert decide(policy, request=facts("ben")).verdict is Verdict.DENY  # by bare user id
    assert decide(policy, request=facts("cy", "finance")).verdict is Verdict.DENY  # Slack user group
    assert decide(policy, request=facts("cy", "sales")).verdict is Verdict.ALLOW
    # the same user id in another workspace is a different person only when listed by key
    assert decide(policy, request=facts("ana", team="T9")).verdict is Verdict.ALLOW


@pytest.mark.parametrize(
    ("channels", "channel", "team", "hit"),
    [
        ("[C1]", "C1", "T1", True),
        ("[C2]", "C1", "T1", False),
        ("['slack:T1']", "C7", "T1", True),  # the whole workspace
        ("['slack:T2']", "C7", "T1", False),
        ("['slack:T1:C7']", "C7", "T1", True),
        ("[slack]", "C7", "T1", True),  # the whole platform
        ("[discord]", "C7", "T1", False),
    ],
)
def test_channel_matcher(channels: str, channel: str, team: str, hit: bool) -> None:
    policy = policy_with(f"  - {{name: r, match: {{channel: {channels}}}, verdict: deny, reason: nope}}\n")
    assert (decide(policy, request=facts(channel=channel, team=team)).verdict is Verdict.DENY) is hit
