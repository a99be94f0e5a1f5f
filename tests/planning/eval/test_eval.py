"""The planner evaluation: every goal of goals.yaml through the rule planner.

Any confidently wrong plan fails the test; so does falling under 90 % correct. The table
in docs/planner.md comes from `python -m tests.planning.eval.report`.
"""

from __future__ import annotations

import pytest

from bot.planning.rules import RulePlanner
from bot.planning.validation import validate_plan
from tests.planning.eval.scoring import Case, load_cases, score
from tests.planning.eval.world import LocalCatalog, context

CASES = load_cases()


def test_the_evaluation_is_large_enough() -> None:
    assert len(CASES) >= 150
    assert len({c.goal for c in CASES}) == len(CASES), "a goal is listed twice"


@pytest.mark.parametrize("case", CASES, ids=[c.goal for c in CASES])
async def test_no_confidently_wrong_plan(case: Case) -> None:
    outcome = await RulePlanner().plan(case.goal, context())
    verdict = score(case, outcome)
    assert verdict.verdict != "wrong", verdict.why
    if case.plan is not None and verdict.verdict == "correct":
        assert validate_plan(outcome, LocalCatalog()) == []  # type: ignore[arg-type]


async def test_at_least_ninety_percent_correct() -> None:
    verdicts = [score(c, await RulePlanner().plan(c.goal, context())).verdict for c in CASES]
    correct = verdicts.count("correct") / len(verdicts)
    assert correct >= 0.90, f"{correct:.0%} correct"
