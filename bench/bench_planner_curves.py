"""What the planning benchmark's ratio depends on: the bench's sensitivity tables.

``bench_planner.py`` measures the mix; these tables vary one thing at a time, each side
measured the same way: the loop's fairness changes (bench_planner_loop.ADJUSTMENTS), where
each side's tokens go block by block, how warm the prompt cache is when a goal comes, how
wide a fan-out is, and the one-step reads people also send (README, "What it can plan").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench.bench_planner_failures import FAILURES
from bench.bench_planner_goals import (
    CLIENTS,
    GOALS,
    OK,
    REF,
    BenchGoal,
    _events,
    _invoices,
    _people,
    _step,
)
from bench.bench_planner_loop import ADJUSTMENTS, FAIR, LoopConfig, react_tools, rounds
from bench.bench_planner_report import Tally, wmean
from bot.planning.claude_context import goal_message
from bot.planning.claude_prompt import SYSTEM_PROMPT, stable_prefix
from bot.planning.protocol import PlanningContext
from bot.registry import Manifest
from tests.fakes.anthropic_api import FakeAnthropic, estimate_tokens, tool_use

PlanRun = Callable[[FakeAnthropic, list[BenchGoal], PlanningContext | None], Awaitable[Tally]]
# (api, goals, loop configuration, context or None for the team's, failures or None)
ReactRun = Callable[[FakeAnthropic, list[BenchGoal], LoopConfig, PlanningContext | None, Any], Awaitable[Tally]]


@dataclass(frozen=True)
class Sides:
    plan: PlanRun
    react: ReactRun
    manifest: Manifest
    context: PlanningContext  # this team's
    other: PlanningContext  # another team's (a different directory), same deployment


def merge(tallies: list[Tally]) -> Tally:
    out = Tally()
    for t in tallies:
        for name in ("calls", "input_total", "output", "cache_read", "cache_write"):
            getattr(out, name).extend(getattr(t, name))
    return out


# a goal that is not in the mix, to warm the cache before measuring
PRIME = BenchGoal("what's overdue?", [_step("s1", "list_invoices", {"status": "overdue"})],
                  {"s1": _invoices(2, "overdue")})


async def _both(sides: Sides, goals: list[BenchGoal], window: str) -> tuple[Tally, Tally]:
    """Both sides on ``goals`` with the cache as ``window`` says: ``cold`` (nothing cached
    when each goal comes: a deployment with less than a goal per cache lifetime, 5 minutes),
    ``team`` (the deployment's shared prefix cached by another team's goal, this team's
    directory not), ``mix`` (the goals one after the other from a cold start, as the main
    table), ``warm`` (the prefix and the directory already cached)."""
    results = []
    for side in ("plan", "react"):
        async def run(api: FakeAnthropic, some: list[BenchGoal], ctx: PlanningContext | None, side: str = side) -> Tally:
            if side == "plan":
                return await sides.plan(api, some, ctx)
            return await sides.react(api, some, FAIR, ctx, None)
        if window == "mix":
            async with FakeAnthropic() as api:
                results.append(await run(api, goals, None))
        elif window == "warm":
            async with FakeAnthropic() as api:
                await run(api, [PRIME], None)
                results.append(await run(api, goals, None))
        else:
            parts = []
            for goal in goals:
                async with FakeAnthropic() as api:
                    if window == "team":
                        await run(api, [PRIME], sides.other)
                    parts.append(await run(api, [goal], None))
            results.append(merge(parts))
    return results[0], results[1]


def _ratio_row(label: str, plan: Tally, react: Tally, extra: str = "") -> str:
    return (f"| {label} |{extra} {wmean(plan):,.1f} | {wmean(react):,.1f} | {react.mean(react.calls):.2f} | "
            f"**{wmean(react) / wmean(plan):.2f}×** | {wmean(react, 1.0) / wmean(plan, 1.0):.2f}× |")


async def adjustments_table(sides: Sides, plan: Tally, failed_plan: Tally) -> str:
    lines = ["The loop's fairness changes, one after the other (the mix, weighted tokens per goal, output × 5; "
             "plan-first is the same throughout):", "",
             "| loop | loop, no failures | loop ÷ plan-first | loop, 8 failures | loop ÷ plan-first | loop calls per goal |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, config in ADJUSTMENTS:
        async with FakeAnthropic() as api:
            ok = await sides.react(api, GOALS, config, None, None)
        async with FakeAnthropic() as api:
            failing = await sides.react(api, GOALS, config, None, FAILURES)
        lines.append(f"| {label} | {wmean(ok):,.1f} | {wmean(ok) / wmean(plan):.2f}× | {wmean(failing):,.1f} | "
                     f"{wmean(failing) / wmean(failed_plan):.2f}× | {ok.mean(ok.calls):.2f} |")
    return "\n".join(lines)


def blocks_table(sides: Sides) -> str:
    """Each block's size (the fake's tokens) and how each side pays it in the mix."""
    manifest, ctx = sides.manifest, sides.context
    prefix = stable_prefix([manifest])
    user = goal_message(GOALS[0].text, ctx, [manifest.name])
    sizes = {
        "planner rules (system prompt)": estimate_tokens({"type": "text", "text": SYSTEM_PROMPT}),
        "action catalogue (plan-first: system text; loop: tools)": estimate_tokens(prefix.system[1]),
        "submit_plan + ask_question tools": sum(estimate_tokens(t) for t in prefix.tools),
        "team directory (50 people, 16 clients)": estimate_tokens(
            {"type": "text", "text": user.team, "cache_control": {"type": "ephemeral"}}),
    }
    loop_tools = sum(estimate_tokens(t) for t in react_tools(manifest))
    loop_system = estimate_tokens({"type": "text", "text": FAIR.system, "cache_control": {"type": "ephemeral"}})
    answer = tool_use("submit_plan", {"steps": [{k: v for k, v in s.items() if k != "id"} for s in GOALS[0].steps]})
    envelope = estimate_tokens(answer.content) - estimate_tokens(answer.content[0]["input"])
    lines = ["Where each side's prompt goes, block by block (the fake's tokens, 4 characters each):", "",
             "| block | plan-first | fair loop |", "|---|---:|---:|",
             f"| loop's system prompt (how to loop + plan-first's rules that are not about a plan) | — | {loop_system:,} |"]
    lines += [f"| {label} | {n:,} | {loop_tools if 'catalogue' in label else (sizes[label] if 'team' in label else '—')} |"
              for label, n in sizes.items()]
    plan_prefix = sum(sizes.values())
    lines += [f"| **cached prefix, read by every call** | **{plan_prefix:,}** | **{loop_system + loop_tools + sizes['team directory (50 people, 16 clients)']:,}** |",
              f"| per goal, uncached: context (time, requester, integrations) and the goal | "
              f"{estimate_tokens({'type': 'text', 'text': user.goal})} | "
              f"{estimate_tokens({'type': 'text', 'text': user.goal.rsplit(chr(10), 1)[0]})} (cached from turn 1) |",
              f"| output: a tool call's envelope as the fake counts it (id, name, type) | {envelope} per answer | "
              f"{envelope} per call |"]
    turns = sum(len(rounds(g.steps)) + 1 for g in GOALS) / len(GOALS)
    lines += ["", f"The loop reads its prefix once per call: {turns:.2f} calls per goal in the mix; plan-first once. "
              "Each goal's own blocks (tool calls, results) the loop writes once (× 1.25) and reads on every later turn."]
    return "\n".join(lines)


async def windows_table(sides: Sides) -> str:
    lines = ["How warm the cache is when a goal comes (the mix, no failures, weighted tokens per goal, output × 5):", "",
             "| cache when a goal comes | plan-first | loop | loop calls per goal | loop ÷ plan-first | (output × 1) |",
             "|---|---:|---:|---:|---:|---:|"]
    for window, label in (("cold", "nothing cached (under one goal per 5 minutes in the deployment)"),
                          ("team", "the deployment's prefix cached by another team, this team's directory not"),
                          ("mix", "the 22 goals one after the other from a cold start (the main table)"),
                          ("warm", "prefix and directory cached (a busy team)")):
        plan, react = await _both(sides, GOALS, window)
        lines.append(_ratio_row(label, plan, react))
    return "\n".join(lines)


def fan_out(n: int) -> BenchGoal:
    """The issue's example, "invoice all clients for March": the clients with unbilled time,
    then one invoice each."""
    names = [CLIENTS[i % len(CLIENTS)] + ("" if i < len(CLIENTS) else f" {i}") for i in range(n)]
    return BenchGoal("invoice all clients for March", [
        _step("s1", "unbilled_time", {"period_start": "2026-03-01", "period_end": "2026-03-31"}),
        _step("s2", "create_invoice", {"client_id": {REF: "item.client_id"}, "period_start": "2026-03-01",
                                       "period_end": "2026-03-31"}, "s1.clients"),
    ], {"s1": {"clients": [{"client_id": i + 1, "client": c, "minutes": 600 + 60 * i, "amount_cents": 90000}
                           for i, c in enumerate(names)]}, "s2": OK})


# one-step reads, worded as the README lists what people ask
READS = [
    BenchGoal("what's overdue?", [_step("s1", "list_invoices", {"status": "overdue"})],
              {"s1": _invoices(4, "overdue")}),
    BenchGoal("who is Alice Wong?", [_step("s1", "find_people", {"names": ["Alice Wong"]})],
              {"s1": _people(["Alice Wong"])}),
    BenchGoal("what's on my calendar tomorrow?", [
        _step("s1", "list_events", {"start": "2026-11-28T00:00:00+01:00", "end": "2026-11-29T00:00:00+01:00",
                                    "attendee": "ana@example.com"})], {"s1": _events(3)}),
    BenchGoal("show unbilled time for last month", [
        _step("s1", "unbilled_time", {"period_start": "2026-10-01", "period_end": "2026-10-31"})],
        {"s1": {"clients": [{"client_id": i + 1, "client": c, "minutes": 600 + 60 * i, "amount_cents": 90000}
                            for i, c in enumerate(CLIENTS)]}}),
    BenchGoal("list open deals", [_step("s1", "list_deals", {"stage": "open"})],
              {"s1": {"deals": [{"id": 510 + i, "name": f"{c} renewal", "company": c, "stage": "proposal",
                                 "amount_cents": 1200000 + 100000 * i, "currency": "EUR"}
                                for i, c in enumerate(CLIENTS)]}}),
]


async def shapes_table(sides: Sides, widths: tuple[int, ...]) -> str:
    lines = ["Goal shapes, each side with the prefix and directory already cached (the \"warm\" row above), "
             "weighted tokens per goal (output × 5):", "",
             "| goal | plan-first | loop | loop calls per goal | loop ÷ plan-first | (output × 1) |",
             "|---|---:|---:|---:|---:|---:|"]
    for n in widths:
        plan, react = await _both(sides, [fan_out(n)], "warm")
        lines.append(_ratio_row(f"\"invoice all clients for March\", {n} client{'s' if n > 1 else ''}", plan, react))
    plan, react = await _both(sides, READS, "warm")
    lines.append(_ratio_row(f"one-step reads ({', '.join(repr(g.text) for g in READS)}), mean", plan, react))
    plan, react = await _both(sides, GOALS, "warm")
    lines.append(_ratio_row("the mix's 22 goals (2.5 steps, 2.0 rounds of calls a goal), mean", plan, react))
    return "\n".join(lines)
