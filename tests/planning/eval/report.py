"""Prints the planner evaluation's table: `python -m tests.planning.eval.report [--all]`."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter

from bot.planning.rules import RulePlanner
from tests.planning.eval.scoring import load_cases, score
from tests.planning.eval.world import context


async def main(show_all: bool) -> None:
    planner = RulePlanner()
    counts: Counter[str] = Counter()
    for case in load_cases():
        verdict = score(case, await planner.plan(case.goal, context()))
        counts[verdict.verdict] += 1
        if show_all or verdict.verdict != "correct":
            print(f"{verdict.verdict:8} {case.goal!r}: {verdict.why}")
    total = sum(counts.values())
    print(f"\n| goals | correct | honest but unhelpful | wrong |\n|---|---|---|---|\n"
          f"| {total} | {counts['correct']} ({counts['correct'] / total:.0%}) | {counts['honest']} | {counts['wrong']} |")


if __name__ == "__main__":
    asyncio.run(main("--all" in sys.argv))
