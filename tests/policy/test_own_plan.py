"""The shipped finance-team policy keeps four eyes on money: under each of its rules that says
``requester_may_approve: false``, a person of the approving group who asked cannot approve
their own plan (told why, in the words the chat shows), while another of that group can."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import Effect, Step
from bot.policy import Verdict, evaluate_step, load_policy, plan_requirement
from tests.policy.helpers import actor, facts

FINANCE = load_policy(Path(__file__).resolve().parents[2] / "policies" / "finance-team.yaml")
WED = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # working hours in London
TEAM = "T0ACME"
SLACK_GROUPS = {"TESS": ("treasury",)}  # what Slack says of the person, beside the policy's lists
NOT_YOURS = (False, "the policy needs someone other than the requester to approve this plan")


@pytest.mark.parametrize(
    ("action", "effect", "args", "requester", "other", "rule"),
    [
        # ANA and BEN are in @finance, DEV in @controllers; TESS in @treasury by Slack user group
        ("invoicing.create_invoice_item", Effect.WRITE, {"amount": 240000}, "U0ANA", "U0BEN", "large-invoices"),
        ("invoicing.record_payment", Effect.WRITE, {"amount": 5_000_000}, "U0DEV", "TESS", "very-large-amounts"),
        ("invoicing.void_invoice", Effect.DESTRUCTIVE, {"invoice_id": 1}, "U0DEV", None, "voids-by-controllers"),
        ("invoicing.send_invoice", Effect.WRITE, {}, "U0ANA", "U0DEV", "money-writes"),
        ("local.send_reminder", Effect.WRITE, {"invoice_id": 1}, "U0BEN", "U0CHO", "money-writes"),
    ],
)
def test_a_requester_in_the_approving_group_cannot_approve_their_own_plan(
        action: str, effect: Effect, args: dict[str, object], requester: str, other: str | None,
        rule: str) -> None:
    decision = evaluate_step(FINANCE, Step(id="s1", action=action, args=args), effect,
                             facts(requester, channel="C0FIN", now=WED, team=TEAM))
    assert (decision.verdict, decision.rule) == (Verdict.REQUIRE_APPROVAL, rule), decision.reason
    needed = plan_requirement([decision])
    asker = actor(requester, team=TEAM)
    assert needed.may_approve(FINANCE, asker, asker.key) == NOT_YOURS
    assert needed.quorum_problem(FINANCE, [asker], asker.key) is not None
    if other is not None:  # the controllers are one person: a void they ask for waits for another
        assert needed.may_approve(FINANCE, actor(other, *SLACK_GROUPS.get(other, ()), team=TEAM), asker.key) == (True, "")
