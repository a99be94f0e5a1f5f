"""The planning benchmark's step-by-step loop makes the calls a loop with parallel tool calls
would: every call whose inputs it has in one turn, a turn per dependency level, goals asked
one after the other kept in order, and after a failure the calls still to do beside the
re-plan's. Its token figures (docs/benchmarks.md) rest on these schedules."""

from __future__ import annotations

from typing import Any

from bench.bench_planner_failures import FAILURES, combined_failure
from bench.bench_planner_goals import GOALS, BenchGoal, combined
from bench.bench_planner_loop import react_script, rounds
from tests.fakes.anthropic_api import Reply


def _goal(text: str) -> BenchGoal:
    return next(g for g in GOALS if g.text == text)


def _calls(script: list[tuple[Reply, list[Any]]]) -> list[list[str]]:
    return [[b["name"].removeprefix("local__") for b in reply.content if b["type"] == "tool_use"]
            for reply, _ in script]


def test_independent_steps_share_a_turn_and_dependent_ones_wait() -> None:
    assert [[s["id"] for s in r] for r in rounds(_goal("we lost Hooli: mark deal 517 lost and note why").steps)] \
        == [["s1", "s2"]]
    initech = _goal("Initech signed: note it on their company, mark deal 514 won, send their draft invoice")
    assert [[s["id"] for s in r] for r in rounds(initech.steps)] == [["s1", "s3", "s4"], ["s2", "s5"]]
    assert [[s["id"] for s in r] for r in rounds(initech.steps, parallel=False)] == [[f"s{n}"] for n in range(1, 6)]
    # a fan-out's calls are one turn of as many calls as items, then the answer
    chase = _calls(react_script(_goal("chase everyone whose invoice is overdue")))
    assert chase == [["list_invoices"], ["send_reminder"] * 4, []]


def test_goals_asked_one_after_the_other_keep_their_order() -> None:
    parts = [_goal("we lost Hooli: mark deal 517 lost and note why"),
             _goal("weekly review: my meetings this week and unbilled time")]
    joined = combined(parts)
    assert [[s["id"] for s in r] for r in rounds(joined.steps, joined.parts)] == [["s1", "s2"], ["s3", "s4"]]


def test_after_a_failure_the_steps_still_to_do_go_beside_the_replans_calls() -> None:
    initech = _goal("Initech signed: note it on their company, mark deal 514 won, send their draft invoice")
    script = react_script(initech, FAILURES[initech.text])
    # s4 (list_invoices) fails in the first turn; s2's note had not run, the retry goes beside it
    assert _calls(script) == [["search_crm", "update_deal", "list_invoices"], ["add_note", "list_invoices"],
                              ["send_invoice"], []]
    assert script[0][1][2].text == "invoicing service timed out after 30 s"
    question = _goal("record Globex's 1,250 EUR payment on their open invoice")
    assert _calls(react_script(question, FAILURES[question.text]))[-1] == []  # it asks, and stops
    assert combined_failure([question]) is not None
