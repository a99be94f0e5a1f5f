"""Property-based tests of the guarantees the policy makes, whatever the rules say.

Each property's cases are generated so that its assertion applies (a guard built to match the
step, a deny rule placed in the rules, the requester among the approvers); ``assume`` drops
the few that still miss, so all ``max_examples`` cases exercise the assertion. How many
cases were drawn and how many were kept is printed at the end of the session ("cases tried")
and, per property, by ``pytest --hypothesis-show-statistics``."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from bot.domain import Actor, Effect, PlanDraft, Step
from bot.policy import Policy, RequestFacts, Verdict, evaluate_plan, evaluate_step, plan_requirement
from bot.policy.model import RANK, Guardrail, Match, Rule
from bot.policy.requirement import Need
from tests.support.tallies import tally

# slow (hypothesis properties, 80 kept cases each): `make test` runs it; `pytest -m "not slow"` leaves it out
pytestmark = pytest.mark.slow

ACTIONS = ["local.create_invoice", "local.send_reminder", "crm.create_note", "email.send", "local.list_invoices"]
CONDITIONS = ["amount > 1000", "amount <= 50", "to outside_domains acme.example", "attendees count_gt 2",
              "status in [draft, sent]", "sum(amount) > 1000", "count(to outside_domains acme.example) > 0"]
GROUPS = ["finance", "legal", "ops"]
FAST = settings(max_examples=80, deadline=None)
HITS = tally("policy properties (drawn / kept: the assertion ran)")


def kept(name: str, applies: bool) -> None:
    """Count the case, then drop it unless the property's assertion applies to it."""
    HITS[f"{name} drawn"] += 1
    assume(applies)
    HITS[f"{name} kept"] += 1

matches = st.builds(
    Match,
    integration=st.none() | st.lists(st.sampled_from(["local", "crm", "email"]), min_size=1, max_size=2),
    action=st.none() | st.lists(st.sampled_from([a.split(".")[1] for a in ACTIONS]), min_size=1, max_size=2),
    effect=st.none() | st.lists(st.sampled_from(list(Effect)), min_size=1, max_size=2),
    when=st.lists(st.sampled_from(CONDITIONS), max_size=2),
    requester_in=st.none() | st.lists(st.sampled_from(GROUPS), min_size=1, max_size=2),
)


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    verdict = draw(st.sampled_from(list(Verdict)))
    extra: dict[str, Any] = {}
    if verdict is Verdict.REQUIRE_APPROVAL:
        extra = {"approvals": draw(st.integers(1, 3)), "approvers": draw(st.lists(st.sampled_from(GROUPS),
                 max_size=1)), "requester_may_approve": draw(st.booleans())}
    return Rule(name=f"r{draw(st.integers(0, 10**9))}", match=draw(matches), verdict=verdict, **extra)


policies = st.builds(
    lambda rs, default: Policy(rules=rs, default=default, groups={g: [] for g in GROUPS}),
    st.lists(rules(), max_size=6), st.sampled_from(list(Verdict)))
plain_values = st.one_of(st.integers(-10, 5000), st.sampled_from(["draft", "x@acme.example", "y@evil.example"]),
                         st.lists(st.sampled_from(["a@acme.example", "b@evil.example"]), max_size=4))
arg_values = st.one_of(plain_values, st.just({"$ref": "s0.out"}))
arg_dicts = st.dictionaries(st.sampled_from(["amount", "to", "attendees", "status"]), arg_values, max_size=4)
steps = st.builds(lambda a, args: Step(id="s1", action=a, args=args), st.sampled_from(ACTIONS), arg_dicts)
effects = st.sampled_from(list(Effect))
requests = st.builds(lambda gs: RequestFacts(requester_key="slack:T1:U1", requester_groups=gs, channel_id="C1",
                                             platform="slack"),
                     st.none() | st.frozensets(st.sampled_from(GROUPS)))


def _this_or_more(value: Any, others: list[Any]) -> st.SearchStrategy[list[Any] | None]:
    """A match field that holds for ``value``: absent, or a list that contains it."""
    return st.none() | st.lists(st.sampled_from(others), max_size=1).map(lambda more: [value, *more])


@st.composite
def matches_for(draw: st.DrawFn, step: Step, effect: Effect, when: list[str] | None = None,
                requester_in: list[str] | None = None) -> Match:
    """A match whose integration, action and effect hold for this step; its conditions and
    groups (drawn unless given) may or may not (the property decides whether the case applies)."""
    return Match(
        integration=draw(_this_or_more(step.integration, ["local", "crm", "email"])),
        action=draw(_this_or_more(draw(st.sampled_from([step.action, step.action_name])),
                                  [a.split(".")[1] for a in ACTIONS])),
        effect=draw(_this_or_more(effect, list(Effect))),
        when=when if when is not None else draw(st.lists(st.sampled_from(CONDITIONS), max_size=1)),
        requester_in=requester_in or draw(st.none() | st.lists(st.sampled_from(GROUPS), min_size=1,
                                                               max_size=2)),
    )


@FAST
@given(policies, steps, effects, requests, st.data())
def test_a_matching_guardrail_denies_whatever_the_rules_say(policy: Policy, step: Step, effect: Effect,
                                                            request: RequestFacts, data: st.DataObject) -> None:
    guard = Guardrail(name="guard", match=data.draw(matches_for(step, effect)), reason="never")
    guarded = policy.model_copy(update={"guardrails": [guard]})
    alone = Policy(guardrails=[guard], default=Verdict.ALLOW, groups=policy.groups)
    kept("guardrail", evaluate_step(alone, step, effect, request).verdict is Verdict.DENY)
    without_guard = evaluate_step(policy, step, effect, request).verdict
    event(f"the rules alone say {without_guard.value}")
    decision = evaluate_step(guarded, step, effect, request)
    assert decision.verdict is Verdict.DENY and decision.rule == "guard"
    req = plan_requirement([decision, evaluate_step(guarded, step.model_copy(update={"id": "s2"}),
                                                    Effect.READ, request)])
    assert req.denied and not req.runs_alone
    assert req.quorum_problem(guarded, [Actor(platform="slack", team_id="T1", user_id="U9")],
                              "slack:T1:U1") is not None


@FAST
@given(policies, st.lists(rules(), max_size=4), steps, effects, requests, st.data())
def test_a_matching_deny_rule_wins_over_every_rule_below_it(policy: Policy, below: list[Rule], step: Step,
                                                           effect: Effect, request: RequestFacts,
                                                           data: st.DataObject) -> None:
    deny = Rule(name="deny-it", match=data.draw(matches_for(step, effect)), verdict=Verdict.DENY)
    at = data.draw(st.integers(0, len(policy.rules)))
    policy = policy.model_copy(update={"rules": [*policy.rules[:at], deny, *policy.rules[at:]]})
    first = evaluate_step(policy, step, effect, request)
    kept("deny rule", first.verdict is Verdict.DENY and first.rule != "(default)")
    event("decided by the planted rule" if first.rule == "deny-it" else "decided by another deny rule")
    extended = policy.model_copy(update={"rules": [*policy.rules, *below]})
    assert evaluate_step(extended, step, effect, request).verdict is Verdict.DENY


@FAST
@given(policies, st.lists(st.tuples(steps, effects), min_size=1, max_size=5), requests)
def test_a_plan_never_runs_alone_when_a_step_needs_approval_or_is_denied(
        policy: Policy, plan: list[tuple[Step, Effect]], request: RequestFacts) -> None:
    decisions = [evaluate_step(policy, s, e, request) for s, e in plan]
    req = plan_requirement(decisions)
    asks = any(d.verdict is not Verdict.ALLOW for d in decisions)
    event("a step needs approval or is denied" if asks else "every step is allowed")
    if asks:
        assert not req.runs_alone
        assert req.quorum_problem(policy, [], request.requester_key) is not None
    else:
        assert req.runs_alone


people = st.lists(st.builds(lambda u, gs: Actor(platform="slack", team_id="T1", user_id=u, groups=gs),
                            st.sampled_from(["U1", "U2", "U3", "U4"]), st.frozensets(st.sampled_from(GROUPS))),
                  max_size=5)
# the requester (U1) among the people who clicked approve: the case the property is about
with_requester = st.tuples(people, st.frozensets(st.sampled_from(GROUPS))).map(
    lambda drawn: [*drawn[0], Actor(platform="slack", team_id="T1", user_id="U1", groups=drawn[1])])


@FAST
@given(st.integers(1, 3), st.lists(st.sampled_from(GROUPS), max_size=3, unique=True),
       st.sampled_from(["any_of", "all_of"]), with_requester, st.randoms())
def test_the_requester_never_counts_toward_a_quorum_that_excludes_them(
        approvals: int, groups: list[str], mode: str, approvers: list[Actor], order: Any) -> None:
    policy = Policy(groups={g: [] for g in GROUPS})
    mode = mode if len(groups) >= 2 else "any_of"
    need = Need(approvals=approvals, groups=tuple(groups), mode=mode, requester_may_approve=False)
    requester = "slack:T1:U1"
    order.shuffle(approvers)
    without = [a for a in approvers if a.key != requester]
    met = need.met_by(policy, approvers, requester)
    event("quorum met" if met else "quorum not met")
    assert met == need.met_by(policy, without, requester)
    assert not any(need.counts(policy, person, requester) for person in approvers if person.key == requester)
    # and the same quorum counts them when the rule lets the requester approve
    lenient = Need(approvals=approvals, groups=tuple(groups), mode=mode, requester_may_approve=True)
    if not groups:
        assert lenient.counts(policy, next(a for a in approvers if a.key == requester), requester)


step_lists = st.lists(st.builds(lambda i, a, args: Step(id=f"s{i}", action=a, args=args),
                                st.integers(1, 9), st.sampled_from(ACTIONS), arg_dicts),
                      min_size=1, max_size=4)


@FAST
@given(step_lists, st.data())
def test_an_approval_never_carries_over_to_a_changed_plan(plan: list[Step], data: st.DataObject) -> None:
    before = PlanDraft(summary="s", steps=plan)
    index = data.draw(st.integers(0, len(plan) - 1))
    step = plan[index]
    change = data.draw(st.sampled_from(["arg", "action", "for_each", "drop"]))
    if change == "arg":
        key = data.draw(st.sampled_from(["amount", "to", "memo"]))
        value = data.draw(plain_values.filter(lambda v: v != step.args.get(key)))
        changed = step.model_copy(update={"args": {**step.args, key: value}})
    elif change == "action":
        changed = step.model_copy(update={"action": data.draw(st.sampled_from(ACTIONS).filter(
            lambda a: a != step.action))})
    elif change == "for_each":
        changed = step.model_copy(update={"for_each": "s0.items" if step.for_each is None else None})
    steps_after = [s for i, s in enumerate(plan) if i != index] if change == "drop" else \
        [changed if i == index else s for i, s in enumerate(plan)]
    assert PlanDraft(summary="other words", steps=steps_after).fingerprint() != before.fingerprint()
    assert PlanDraft(summary="other words", steps=list(plan)).fingerprint() == before.fingerprint()


concrete_args = st.dictionaries(st.sampled_from(["amount", "to", "attendees", "status"]), plain_values, max_size=4)


@FAST
@given(policies, steps, effects, st.sampled_from(list(Verdict)), st.data())
def test_an_unknown_value_is_never_read_more_loosely_than_any_real_one(
        policy: Policy, step: Step, effect: Effect, verdict: Verdict, data: st.DataObject) -> None:
    # a rule of the step's own action that hangs on what is unknown: a $ref argument's value,
    # or (without one) the requester's groups
    unknown = sorted(k for k, v in step.args.items() if isinstance(v, dict))
    on_unknown = [c for c in CONDITIONS if c.split()[0] in unknown]
    when = [data.draw(st.sampled_from(on_unknown))] if on_unknown else []
    groups = None if on_unknown else data.draw(st.lists(st.sampled_from(GROUPS), min_size=1, max_size=2))
    planted = Rule(name="hangs-on-unknown", verdict=verdict,
                   match=data.draw(matches_for(step, effect, when=when, requester_in=groups)))
    at = data.draw(st.integers(0, len(policy.rules)))
    policy = policy.model_copy(update={"rules": [*policy.rules[:at], planted, *policy.rules[at:]]})
    event("a $ref argument" if on_unknown else "groups unknown")
    request = RequestFacts(requester_key="slack:T1:U1", requester_groups=None, channel_id="C1", platform="slack")
    cautious = evaluate_step(policy, step, effect, request)
    filled = {k: data.draw(plain_values) if isinstance(v, dict) else v for k, v in step.args.items()}
    known_groups = data.draw(st.frozensets(st.sampled_from(GROUPS)))
    real = evaluate_step(policy, step.model_copy(update={"args": filled}), effect,
                         RequestFacts(requester_key="slack:T1:U1", requester_groups=known_groups,
                                      channel_id="C1", platform="slack"))
    assert RANK[real.verdict] <= RANK[cautious.verdict]


@FAST
@given(policies, st.lists(st.tuples(steps, effects), min_size=1, max_size=4), st.data())
def test_over_a_whole_plan_an_unknown_value_is_never_read_more_loosely(
        policy: Policy, plan: list[tuple[Step, Effect]], data: st.DataObject) -> None:
    """Totals (sum, count) see every step: filling in the plan's unknown values can only make
    any step's verdict as strict or looser, never stricter, than the cautious reading."""
    request = RequestFacts(requester_key="slack:T1:U1", requester_groups=frozenset(), channel_id="C1",
                           platform="slack")
    plan = [(s.model_copy(update={"id": f"s{i}"}), e) for i, (s, e) in enumerate(plan)]
    cautious = evaluate_plan(policy, plan, request)
    filled = [(s.model_copy(update={"args": {k: data.draw(plain_values) if isinstance(v, dict) else v
                                             for k, v in s.args.items()}}), e) for s, e in plan]
    real = evaluate_plan(policy, filled, request)
    assert all(RANK[r.verdict] <= RANK[c.verdict] for r, c in zip(real, cautious, strict=True))
