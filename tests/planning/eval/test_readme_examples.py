"""Every goal the README's "What it can plan" gives as an example is planned by the rule
planner on the demo world (not answered with "I can't"), and passes validation. The examples
under "What the offline planner refuses" are tested in tests/planning/test_rules_hostile.py."""

from __future__ import annotations

import re

import pytest

from bot.domain import PlanDraft
from bot.planning.rules import RulePlanner
from bot.planning.validation import validate_plan
from tests.planning.eval.world import LocalCatalog, context
from tests.support.paths import REPO_ROOT


def examples() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    # up to the list of what it refuses, whose examples must not be planned
    section = readme[readme.index("## What it can plan"):readme.index("### What the offline planner refuses")]
    bullets = [line for line in section.splitlines() if line.startswith("- ")]
    found = [goal for line in bullets for goal in re.findall(r"\"([^\"]+)\"", line)]
    assert len(found) >= 20
    return found


@pytest.mark.parametrize("goal", examples())
async def test_each_readme_example_is_planned(goal: str) -> None:
    outcome = await RulePlanner().plan(goal, context())
    assert isinstance(outcome, PlanDraft), outcome
    assert validate_plan(outcome, LocalCatalog()) == []  # type: ignore[arg-type]
