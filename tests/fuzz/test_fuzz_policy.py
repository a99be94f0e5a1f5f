"""Random policy files: the loader answers with a Policy or a PolicyError naming the
problem, never another exception (a bad policy must stop start-up with one clear line)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import Effect, Step
from bot.policy import PolicyError, RequestFacts, evaluate_step, parse_policy
from tests.fuzz.budget import fuzz
from tests.support.tallies import tally

# slow (a fuzzer): `make test` runs it; `pytest -m "not slow"` leaves it out
pytestmark = pytest.mark.slow

DEFAULT = (Path(__file__).parents[2] / "policies" / "default.yaml").read_text()
EXAMPLES = sorted((Path(__file__).parents[2] / "policies").glob("*.yaml"))

KEYS = ["name", "match", "verdict", "approvals", "approvers", "approvers_mode",
        "requester_may_approve", "rate_limit", "max", "per", "scope", "effect", "integration",
        "action", "when", "requester_in", "channel", "during", "outside", "reason",
        "autopilot_after", "escalate_after", "escalate_to", "description"]
scalars = (st.none() | st.booleans() | st.integers(-5, 2000) | st.floats(allow_nan=True)
           | st.text(max_size=20)
           | st.sampled_from(["allow", "deny", "require_approval", "read", "write", "destructive",
                              "1h", "30m", "0d", "-1h", "09:00-17:00", "25:00-26:00", "mon-fri",
                              "amount > 100000", "to outside_domains acme.example",
                              "attendees count_gt 10", "amount >", "> 5", "finance", "local.*",
                              "slack:T0:U0", "any_of", "all_of", "team", "user"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=15) | st.sampled_from(KEYS), inner,
                                        max_size=6), max_leaves=20)
rule = st.fixed_dictionaries({"name": st.text(max_size=12) | st.just("r"),
                              "verdict": scalars},
                             optional={k: values for k in KEYS if k not in ("name", "verdict")})
policy_docs = st.fixed_dictionaries(
    {}, optional={"version": scalars, "default": scalars, "groups": values,
                  "rules": st.lists(rule, max_size=4) | values,
                  "guardrails": st.lists(rule, max_size=3) | values})


@st.composite
def mutated_default(draw: st.DrawFn) -> str:
    """The shipped policy with lines dropped, duplicated or retyped: near-misses of a real file."""
    lines = draw(st.sampled_from([DEFAULT, *(p.read_text() for p in EXAMPLES)])).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        index = draw(st.integers(0, len(lines) - 1))
        change = draw(st.sampled_from(["drop", "dup", "indent", "dedent", "replace", "truncate"]))
        if change == "drop":
            del lines[index]
        elif change == "dup":
            lines.insert(index, lines[index])
        elif change == "indent":
            lines[index] = "  " + lines[index]
        elif change == "dedent":
            lines[index] = lines[index].lstrip()
        elif change == "replace":
            lines[index] = draw(st.text(max_size=40))
        else:
            lines[index] = lines[index][: draw(st.integers(0, len(lines[index])))]
    return "\n".join(lines)


texts = (st.text(max_size=300)
         | policy_docs.map(lambda doc: yaml.safe_dump(doc, allow_unicode=True))
         | mutated_default()
         | st.sampled_from(["", "---", "- a\n- b", "rules: !!python/object:os.system {}", "&a [*a]",
                            "rules: &x\n  - *x", "{{{{", "version: 1\nrules:\n  - name: a\n    verdict: allow\n" * 3]))

TALLY = tally("fuzz policy loader")
FACTS = RequestFacts(requester_key="slack:T0:U0", requester_groups=frozenset(), channel_id="C0",
                     platform="slack")


def try_it(policy: Any) -> None:
    """A policy that loads must also decide: evaluating a step never raises either."""
    for effect in Effect:
        step = Step(id="s1", action="local.send_reminder", args={"invoice_id": 3, "amount": 500})
        evaluate_step(policy, step, effect, FACTS)


@fuzz
@given(text=texts)
def test_random_policy_text_loads_or_is_refused_cleanly(text: str) -> None:
    try:
        policy = parse_policy(text, "fuzz.yaml")
    except PolicyError as err:
        message = str(err)
        assert message.startswith("fuzz.yaml"), message
        assert "Traceback" not in message
        TALLY["refused"] += 1
        return
    try_it(policy)
    TALLY["loaded"] += 1
