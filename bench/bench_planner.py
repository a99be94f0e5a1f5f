"""Benchmark: plan-first (ClaudePlanner) against a fair step-by-step loop, same goals, same fake.

Run from the repository root:  ``.venv/bin/python -m bench.bench_planner``  (``--people 50``)

Both approaches talk to ``tests.fakes.anthropic_api.FakeAnthropic`` through the real SDK.
The fake estimates tokens (four characters per token) and simulates prompt caching (several
breakpoints: the longest cached prefix is read, the rest up to the last breakpoint
written), so the figures compare what each approach *sends*; they are not a model's
quality. The team has ``--people`` known people and a third as many invoicing clients (the
team's directory the planner is given). Every goal is scripted: the planner gets its whole
plan in one ``submit_plan`` answer. The step-by-step loop (``bench_planner_loop.py``) is made
as cheap as such a loop can be and told what plan-first is told: the team directory and goal,
the rules of plan-first's system prompt that are not about writing a plan, the actions as its
tools; a turn per round of calls, every call whose inputs it has made in that turn (parallel
tool calls: a ``for_each``'s calls and independent steps); its transcript cached as it grows
(each turn reads the turns before it); and a final text answer.

More tables follow the first: the same goals with one call failing in eight of them
(``bench_planner_failures.py``: the loop reads the error in its transcript and goes on;
plan-first re-plans once with the real re-plan message), the mix grouped by the loop's
rounds of calls, longer goals made of k goals of the mix asked as one (``--joined``; without
and with the first failure among them), then what the ratio depends on
(``bench_planner_curves.py``): the loop's fairness changes one by one, each side's prompt
block by block, how warm the cache is when a goal comes, fan-outs of ``--widths`` clients
and one-step reads.

Weighted tokens price what a call costs relative to uncached input: uncached input × 1,
cache reads × 0.1, cache writes × 1.25, output × 5 (output costs five times input on
Anthropic's price list; the table shows the output-at-1 figure too).
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import anthropic

from bench.bench_planner_curves import (
    Sides,
    adjustments_table,
    blocks_table,
    shapes_table,
    windows_table,
)
from bench.bench_planner_failures import FAILURES, Failure, combined_failure
from bench.bench_planner_goals import GOALS, BenchGoal, combined
from bench.bench_planner_loop import FAIR, MODEL, LoopConfig, rounds
from bench.bench_planner_loop import run_react as loop_run
from bench.bench_planner_report import Tally, by_length_table, failures_table, table, wmean
from bot.domain import Actor, Clarification, PlanDraft
from bot.planning.claude import ClaudePlanner
from bot.planning.protocol import KnownPerson, PlanningContext, ReplanRequest
from bot.planning.refs import resolve
from bot.planning.replan_keep import expand_kept
from bot.registry import ActionSpec, Manifest, load_manifest
from tests.fakes.anthropic_api import FakeAnthropic, Reply, tool_use

ROOT = Path(__file__).resolve().parents[1]
class Catalog:
    def __init__(self, manifest: Manifest) -> None:
        self._specs = {f"{manifest.name}.{a.name}": a for a in manifest.actions}

    def spec(self, action: str) -> ActionSpec | None:
        return self._specs.get(action)


FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jon"]
LAST = ["Moreau", "Okafor", "Lindqvist", "Sato", "Haddad"]
PEOPLE: tuple[KnownPerson, ...] = ()
CLIENTS: tuple[str, ...] = ()


def team(people: int) -> None:
    """The team's directory: ``people`` people (CRM contacts) and a third as many clients."""
    global PEOPLE, CLIENTS
    names = [f"{FIRST[i % len(FIRST)]} {LAST[i // len(FIRST) % len(LAST)]}{'' if i < 50 else i}" for i in range(people)]
    CLIENTS = tuple(f"Client {n:02d} Ltd" for n in range(max(1, people // 3)))
    PEOPLE = tuple(KnownPerson(name=name, email=name.lower().replace(" ", ".") + "@clients.example",
                               company=CLIENTS[i % len(CLIENTS)]) for i, name in enumerate(names))


def context(manifest: Manifest, people: tuple[KnownPerson, ...] | None = None,
            clients: tuple[str, ...] | None = None) -> PlanningContext:
    """The requester's context; the team's directory is ``team()``'s unless given."""
    tz = ZoneInfo("Europe/Paris")
    return PlanningContext(
        people=PEOPLE if people is None else people, clients=CLIENTS if clients is None else clients,
        requester=Actor(platform="slack", team_id="T1", user_id="U1", display_name="Ana", timezone="Europe/Paris"),
        now=datetime(2026, 11, 27, 10, 30, tzinfo=tz),
        timezone="Europe/Paris",
        actions=Catalog(manifest),
        policy_summary="Reads run without approval. Writes need one approval; destructive steps two.",
    )


# ---- (a) plan first ------------------------------------------------------------------
def plan_answer(goal: BenchGoal, compact: bool) -> dict[str, Any]:
    """The model's ``submit_plan`` input. Compact is what the prompt asks for: no step ids
    (a step is s<its position>), no summary when the goal says what the plan does (these
    goals are short and say it); ``--verbose-plans`` scripts the old answer, ids and a
    summary restating the goal, for comparison."""
    if not compact:
        return {"summary": goal.text, "steps": goal.steps}
    return {"steps": [{k: v for k, v in step.items() if k != "id"} for step in goal.steps]}


def _completed(goal: BenchGoal, failed: str) -> dict[str, Any]:
    """The outputs of the steps before the failed one, as the executor records them (a
    ``for_each`` step's as ``{"results": [...]}``)."""
    done: dict[str, Any] = {}
    for step in goal.steps:
        if step["id"] == failed:
            break
        output = goal.outputs[step["id"]]
        if "for_each" in step:
            items = resolve({"$ref": step["for_each"]}, done)
            output = {"results": [output] * len(items)}
        done[step["id"]] = output
    return done


def _went_through(goal: BenchGoal, failure: Failure, done: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """A failed ``for_each``'s other items, as the executor records them (they all ran: the
    integration's ``max_concurrency`` covers them)."""
    step = next(s for s in goal.steps if s["id"] == failure.step)
    if failure.item is None or "for_each" not in step:
        return {}
    items = resolve({"$ref": step["for_each"]}, done)
    return {failure.step: [{"item": i, "args": resolve(step["args"], {**done, "item": it}),
                            "result": goal.outputs[step["id"]]} for i, it in enumerate(items) if i != failure.item]}


def _same(a: Any, b: dict[str, Any]) -> bool:
    return isinstance(a, dict) and all(a.get(k) == b.get(k) for k in ("action", "args", "for_each"))


def _kept(rest: list[dict[str, Any]], request: ReplanRequest) -> list[dict[str, Any]]:
    """The re-plan's answer as the prompt allows it: a step still to do that is an approved
    step unchanged (once expanded, exactly the step to run) is written ``{"keep": id}``."""
    answer: list[dict[str, Any]] = [{k: v for k, v in step.items() if k != "id"} for step in rest]
    todo = [s.id for s in request.plan.steps if s.id not in request.completed]
    for n, step in enumerate(answer):
        for sid in todo:
            trial = [*answer[:n], {"keep": sid}, *answer[n + 1:]]
            expanded, problems = expand_kept(trial, request)
            if not problems and _same(expanded[n], step):
                answer = trial
                todo.remove(sid)
                break
    return answer


def _replan_reply(failure: Failure, request: ReplanRequest, keep: bool) -> Reply:
    if failure.question:
        return tool_use("ask_question", {"question": failure.question})
    if keep:
        return tool_use("submit_plan", {"steps": _kept(failure.rest, request)})
    return tool_use("submit_plan", {"steps": [{k: v for k, v in s.items() if k != "id"} for s in failure.rest]})


async def run_planner(api: FakeAnthropic, manifest: Manifest, goals: list[BenchGoal], compact: bool = True,
                      failures: dict[str, Failure] | None = None, keep: bool = True,
                      ctx: PlanningContext | None = None) -> Tally:
    """Each goal planned in one call; a goal with a failure is re-planned once after its run
    stops (the real ``replan``: the approved plan, the completed outputs, the error)."""
    tally = Tally()
    async with anthropic.AsyncAnthropic(api_key="bench", base_url=api.base_url, max_retries=0) as client:
        planner = ClaudePlanner(client, manifests=[manifest], model=MODEL)
        for goal in goals:
            before = len(api.usages)
            api.queue(tool_use("submit_plan", plan_answer(goal, compact)))
            outcome = await planner.plan(goal.text, ctx or context(manifest))
            if not isinstance(outcome, PlanDraft):
                raise SystemExit(f"benchmark goal {goal.text!r} did not plan: {outcome}")
            failure = (failures or {}).get(goal.text)
            if failure is not None:
                step = next(s for s in outcome.steps if s.id == failure.step)
                position = outcome.steps.index(step) + 1
                done = _completed(goal, failure.step)
                request = ReplanRequest(goal=goal.text, plan=outcome, completed=done, failed_step=failure.step,
                                        error=f"step {position} ({step.action}) failed: {failure.error}",
                                        went_through=_went_through(goal, failure, done))
                api.queue(_replan_reply(failure, request, keep))
                again = await planner.replan(request, ctx or context(manifest))
                if not isinstance(again, PlanDraft | Clarification):
                    raise SystemExit(f"benchmark goal {goal.text!r} did not re-plan: {again}")
                if isinstance(again, PlanDraft) and [(s.action, s.args, s.for_each) for s in again.steps] != [
                        (s["action"], s["args"], s.get("for_each")) for s in failure.rest]:
                    raise SystemExit(f"benchmark goal {goal.text!r}: the re-plan is not the scripted rest")
            tally.add(api.usages[before:])
    return tally


# ---- (b) step by step: bench_planner_loop.py ------------------------------------------
async def run_react(api: FakeAnthropic, manifest: Manifest, goals: list[BenchGoal],
                    failures: dict[str, Failure] | None = None, config: LoopConfig = FAIR,
                    ctx: PlanningContext | None = None) -> Tally:
    return await loop_run(api, manifest, goals, ctx or context(manifest), failures, config)


async def sweep(manifest: Manifest, joined: tuple[int, ...]) -> str:
    """Longer goals from the same steps: each goal of the mix joined to the next k − 1 ("A;
    then B"), 22 goals per k, each side with a fresh cache; without failures, and with the
    first failure among the joined goals (as it fails alone; the goals after it still to do),
    the re-plan keeping unchanged steps by id or writing every step out."""
    lines = ["Longer goals (k goals of the mix asked as one; the loop runs each after the one before), "
             "weighted tokens per goal (output × 5):", "",
             "| k | steps per goal | loop rounds of calls | plan-first | loop | loop ÷ plan-first | (output × 1) "
             "| goals with a failure | plan-first, re-plans write out / keep | loop | loop ÷ plan-first, write out / keep |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for k in joined:
        parts = [[GOALS[(i + j) % len(GOALS)] for j in range(k)] for i in range(len(GOALS))]
        goals = [combined(p) for p in parts]
        failures = {g.text: f for g, p in zip(goals, parts, strict=True) if (f := combined_failure(p))}
        plans = []
        for failing, keep in ((None, True), (failures, False), (failures, True)):
            async with FakeAnthropic() as api:
                plans.append(await run_planner(api, manifest, goals, failures=failing, keep=keep))
        reacts = []
        for failing in (None, failures):
            async with FakeAnthropic() as api:
                reacts.append(await run_react(api, manifest, goals, failures=failing))
        (plan, written, kept), (react, freact) = plans, reacts
        steps = sum(len(g.steps) for g in goals) / len(goals)
        turns = sum(len(rounds(g.steps, g.parts)) for g in goals) / len(goals)
        lines.append(f"| {k} | {steps:.1f} | {turns:.1f} | {wmean(plan):,.1f} | {wmean(react):,.1f} | "
                     f"{wmean(react) / wmean(plan):.1f}× | {wmean(react, 1.0) / wmean(plan, 1.0):.1f}× | "
                     f"{len(failures)} of {len(goals)} | {wmean(written):,.1f} / {wmean(kept):,.1f} | "
                     f"{wmean(freact):,.1f} | {wmean(freact) / wmean(written):.1f}× / {wmean(freact) / wmean(kept):.1f}× |")
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=50, help="known people in the team's directory")
    parser.add_argument("--verbose-plans", action="store_true",
                        help="script plan-first answers with step ids and a summary (the pre-compact format)")
    parser.add_argument("--joined", default="1,2,3,4",
                        help="for the plan-length sweep: how many goals of the mix each longer goal joins")
    parser.add_argument("--widths", default="1,5,16,50",
                        help="for the goal shapes: how many clients 'invoice all clients for March' invoices")
    args = parser.parse_args()
    team(args.people)
    manifest = load_manifest(ROOT / "integrations" / "local" / "manifest.yaml")
    compact = not args.verbose_plans
    tallies = []
    for failures in (None, FAILURES):
        async with FakeAnthropic() as api:
            plan = await run_planner(api, manifest, GOALS, compact=compact, failures=failures)
        async with FakeAnthropic() as api:
            react = await run_react(api, manifest, GOALS, failures=failures)
        tallies.append((plan, react))
    (plan, react), (failed_plan, failed_react) = tallies
    async with FakeAnthropic() as api:
        written = await run_planner(api, manifest, GOALS, compact=compact, failures=FAILURES, keep=False)
    print(table(plan, react, len(PEOPLE), len(CLIENTS)))
    print()
    print(failures_table(plan, react, failed_plan, failed_react))
    print()
    print(f"The same failures with every re-planned step written out (no keep): plan-first {wmean(written):,.1f} "
          f"weighted tokens per goal, loop ÷ plan-first {wmean(failed_react) / wmean(written):.2f}× "
          f"(with keep: {wmean(failed_react) / wmean(failed_plan):.2f}×)")
    print()
    print(by_length_table(plan, react, [len(rounds(g.steps)) for g in GOALS]))
    print()
    print(await sweep(manifest, tuple(int(k) for k in args.joined.split(","))))
    sides = Sides(
        plan=lambda api, goals, ctx: run_planner(api, manifest, goals, compact=compact, ctx=ctx),
        react=lambda api, goals, config, ctx, failing: run_react(api, manifest, goals, failing, config, ctx),
        manifest=manifest, context=context(manifest),
        other=context(manifest, people=PEOPLE[:7], clients=("Other Co",)))
    print()
    print(await adjustments_table(sides, plan, failed_plan))
    print()
    print(blocks_table(sides))
    print()
    print(await windows_table(sides))
    print()
    print(await shapes_table(sides, tuple(int(n) for n in args.widths.split(","))))


if __name__ == "__main__":
    asyncio.run(main())
