"""`deputy policy explain` and `deputy policy check`, and the shipped examples doing what they say."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.domain import Effect, Step
from bot.policy import Verdict, check_files, evaluate_step, explain, explain_command, load_policy
from bot.registry import discover
from tests.policy.helpers import actor, facts

POLICIES = Path(__file__).resolve().parents[2] / "policies"
WEDNESDAY_10_LONDON = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
REGISTRY = discover()


def test_explain_names_the_rule_and_the_concrete_values() -> None:
    code, text = explain_command(
        POLICIES / "finance-team.yaml", "slack:T0ACME:U0ANA", "invoicing.create_invoice_item",
        '{"customer": "cus_1", "amount": 240000, "currency": "eur", "description": "Q4"}', REGISTRY,
        channel="C0FIN", now=WEDNESDAY_10_LONDON)
    assert code == 0
    assert "→ require_approval" in text
    assert "needs 2 approvals from @finance, not the requester: rule `large-invoices`, amount 240000 > 100000" in text
    assert "rule `very-large-amounts` (require_approval): no — amount 240000 not > 1000000" in text
    assert "◀ decides" in text


@pytest.mark.parametrize(
    ("action", "args", "message"),
    [
        ("nope.nothing", "{}", "no integration offers"),
        ("local.create_invoice", "{not json", "--args is not JSON"),
        ("local.create_invoice", "[1, 2]", "must be a JSON object"),
    ],
)
def test_explain_refuses_bad_input_plainly(action: str, args: str, message: str) -> None:
    code, text = explain_command(POLICIES / "default.yaml", "alice", action, args, REGISTRY)
    assert code == 2 and message in text


def test_explain_of_a_broken_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: x\n    verdict: perhaps\n")
    code, text = explain_command(bad, "alice", "local.create_invoice", "{}", REGISTRY)
    assert code == 2 and "line 2" in text


def test_check_over_several_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: x\n    verdict: allow\n    match: {colour: red}\n")
    code, text = check_files([POLICIES / "default.yaml", bad, tmp_path / "missing.yaml"])
    assert code == 1
    lines = text.splitlines()
    assert lines[0].startswith("✓") and "2 rules, default deny" in lines[0]
    assert lines[1].startswith("✗") and "line 4" in lines[1] and "colour" in lines[1]
    assert lines[2].startswith("✗") and "cannot read" in lines[2]
    assert check_files(sorted(POLICIES.glob("*.yaml")))[0] == 0


def test_check_counts_in_words_a_reader_would_write() -> None:
    one = check_files([POLICIES / "small-agency.yaml"])[1]
    assert one.endswith("small-agency.yaml: 1 guardrail, 6 rules, default deny")
    none = check_files([POLICIES / "default.yaml"])[1]
    assert none.endswith("default.yaml: no guardrails, 2 rules, default deny")


def test_the_explanation_lists_every_rule_in_reading_order() -> None:
    policy = load_policy(POLICIES / "small-agency.yaml")
    text = explain(policy, Effect.DESTRUCTIVE, Step(id="s1", action="local.void_invoice"), facts())
    names = [r.name for r in policy.all_rules()]
    positions = [text.index(f"`{n}`") for n in names]
    assert positions == sorted(positions)
    assert "guardrail `no-voiding` (deny): matches" in text


AGENCY, FINANCE, ONCALL = (load_policy(POLICIES / f"{n}.yaml")
                           for n in ("small-agency", "finance-team", "oncall-engineering"))
WED = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 15:00 London, 16:00 Berlin, 10:00 New York
SUN = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("policy", "action", "effect", "args", "who", "channel", "now", "verdict", "rule"),
    [
        (AGENCY, "local.create_event", Effect.WRITE, {"attendees": ["a@agency.example"]}, (), "C1", WED,
         Verdict.ALLOW, "internal-meetings"),
        (AGENCY, "local.create_event", Effect.WRITE, {"attendees": ["a@agency.example"]}, (), "C1", SUN,
         Verdict.REQUIRE_APPROVAL, "other-writes"),
        (AGENCY, "email.send", Effect.WRITE, {"to": "ceo@client.example"}, (), "C1", WED,
         Verdict.REQUIRE_APPROVAL, "client-email"),
        (AGENCY, "local.void_invoice", Effect.DESTRUCTIVE, {"invoice_id": 1}, (), "C1", WED,
         Verdict.DENY, "no-voiding"),
        (FINANCE, "invoicing.create_invoice_item", Effect.WRITE, {"amount": 5_000_000}, (), "C0FIN", WED,
         Verdict.REQUIRE_APPROVAL, "very-large-amounts"),
        (FINANCE, "invoicing.create_invoice_item", Effect.WRITE, {"amount": 500}, ("contractors",), "C0FIN", WED,
         Verdict.DENY, "contractors-touch-no-money"),
        (FINANCE, "invoicing.create_invoice_item", Effect.WRITE, {"amount": 500}, (), "C0FIN", SUN,
         Verdict.DENY, "no-money-out-of-hours"),
        (FINANCE, "invoicing.send_invoice", Effect.WRITE, {}, (), "C0PUBLIC", WED,
         Verdict.DENY, "only-in-finance-channels"),
        (FINANCE, "invoicing.send_invoice", Effect.WRITE, {}, (), "C0FIN", WED,
         Verdict.REQUIRE_APPROVAL, "money-writes"),
        (ONCALL, "calendar.create_event", Effect.WRITE, {"attendees": ["a@eng.example"]}, ("oncall",),
         "C0INCIDENTS", SUN, Verdict.ALLOW, "oncall-acts-in-incidents"),
        (ONCALL, "calendar.create_event", Effect.WRITE, {"attendees": ["a@eng.example"]}, (), "C0INCIDENTS", SUN,
         Verdict.REQUIRE_APPROVAL, "night-writes"),
        (ONCALL, "calendar.create_event", Effect.WRITE, {"attendees": [f"p{i}@eng.example" for i in range(12)]},
         (), "C1", WED, Verdict.REQUIRE_APPROVAL, "big-meetings"),
        (ONCALL, "calendar.cancel_event", Effect.DESTRUCTIVE, {}, ("oncall",), "C0INCIDENTS", WED,
         Verdict.DENY, "nothing-destructive"),
    ],
)
def test_shipped_examples_do_what_their_comments_say(policy: Any, action: str, effect: Effect,
                                                     args: dict[str, Any], who: tuple[str, ...], channel: str,
                                                     now: datetime, verdict: Verdict, rule: str) -> None:
    user = actor("U0ZED", *who)
    request = facts(user.user_id, *who, channel=channel, now=now)
    d = evaluate_step(policy, Step(id="s1", action=action, args=args), effect, request)
    assert (d.verdict, d.rule) == (verdict, rule), d.reason
