"""The planning benchmark's tallies and tables (bench/bench_planner.py runs the goals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.bench_planner_failures import FAILURES
from bench.bench_planner_goals import GOALS

READ_WEIGHT, WRITE_WEIGHT, OUTPUT_WEIGHT = 0.1, 1.25, 5.0


@dataclass
class Tally:
    calls: list[int] = field(default_factory=list)
    input_total: list[int] = field(default_factory=list)  # uncached + cache read + cache write
    output: list[int] = field(default_factory=list)
    cache_read: list[int] = field(default_factory=list)
    cache_write: list[int] = field(default_factory=list)

    def add(self, usages: list[dict[str, int]]) -> None:
        self.calls.append(len(usages))
        self.input_total.append(sum(
            u["input_tokens"] + u["cache_read_input_tokens"] + u["cache_creation_input_tokens"] for u in usages
        ))
        self.output.append(sum(u["output_tokens"] for u in usages))
        self.cache_read.append(sum(u["cache_read_input_tokens"] for u in usages))
        self.cache_write.append(sum(u["cache_creation_input_tokens"] for u in usages))

    def weighted(self, i: int, output_weight: float = OUTPUT_WEIGHT) -> float:
        uncached = self.input_total[i] - self.cache_read[i] - self.cache_write[i]
        return (uncached + READ_WEIGHT * self.cache_read[i] + WRITE_WEIGHT * self.cache_write[i]
                + output_weight * self.output[i])

    def mean(self, values: list[int]) -> float:
        return sum(values) / len(values)

    def parts(self) -> dict[str, float]:
        """Where the weighted tokens go, per goal: uncached input, cache reads, cache
        writes, output (each with its weight applied)."""
        n = len(self.calls)
        uncached = sum(self.input_total) - sum(self.cache_read) - sum(self.cache_write)
        return {"uncached input × 1": uncached / n, "cache reads × 0.1": READ_WEIGHT * sum(self.cache_read) / n,
                "cache writes × 1.25": WRITE_WEIGHT * sum(self.cache_write) / n,
                "output × 5": OUTPUT_WEIGHT * sum(self.output) / n}



def wmean(t: Tally, output_weight: float = OUTPUT_WEIGHT) -> float:
    return sum(t.weighted(i, output_weight) for i in range(len(t.calls))) / len(t.calls)


def share(t: Tally) -> float:
    return 100 * sum(t.cache_read) / sum(t.input_total)


def measures(plan: Tally, react: Tally) -> list[str]:
    rows = [
        ("model calls per goal", plan.mean(plan.calls), react.mean(react.calls)),
        ("input tokens per goal", plan.mean(plan.input_total), react.mean(react.input_total)),
        ("output tokens per goal", plan.mean(plan.output), react.mean(react.output)),
        ("total tokens per goal", plan.mean(plan.input_total) + plan.mean(plan.output),
         react.mean(react.input_total) + react.mean(react.output)),
        ("input share read from cached prefix (%)", share(plan), share(react)),
        ("weighted tokens per goal (output × 5)", wmean(plan), wmean(react)),
        ("weighted tokens per goal (output × 1)", wmean(plan, 1.0), wmean(react, 1.0)),
    ]
    lines = ["| measure | plan-first (ClaudePlanner) | step-by-step (fair loop) | loop ÷ plan-first |",
             "|---|---:|---:|---:|"]
    for label, a, b in rows:
        ratio = "—" if "%" in label else f"{b / a:.1f}×"
        lines.append(f"| {label} | {a:,.1f} | {b:,.1f} | {ratio} |")
    lines += ["", "Where the weighted tokens (output × 5) go, per goal:", "",
              "| part | plan-first | step-by-step | loop ÷ plan-first |", "|---|---:|---:|---:|"]
    for (label, a), b in zip(plan.parts().items(), react.parts().values(), strict=True):
        lines.append(f"| {label} | {a:,.1f} | {b:,.1f} | {b / a:.1f}× |" if a else f"| {label} | 0 | {b:,.1f} | — |")
    return lines


def table(plan: Tally, react: Tally, people: int, clients: int) -> str:
    lines = [
        f"{len(GOALS)} scripted multi-step goals, {sum(len(g.steps) for g in GOALS)} plan steps, "
        f"{sum(react.calls) - len(GOALS)} model turns with tool calls in the step-by-step loop; "
        f"a team of {people} people and {clients} clients",
        "",
        *measures(plan, react),
        "", "| # | goal | steps | plan-first calls / tokens | loop calls / tokens |", "|---:|---|---:|---:|---:|"]
    for i, goal in enumerate(GOALS):
        lines.append(
            f"| {i + 1} | {goal.text} | {len(goal.steps)} | {plan.calls[i]} / "
            f"{plan.input_total[i] + plan.output[i]:,} | {react.calls[i]} / {react.input_total[i] + react.output[i]:,} |"
        )
    return "\n".join(lines)


def failures_table(plan: Tally, react: Tally, failed_plan: Tally, failed_react: Tally) -> str:
    """The same goals with one call failing in some of them (bench_planner_failures.py)."""
    failing = [i for i, g in enumerate(GOALS) if g.text in FAILURES]
    lines = [f"With failures: {len(failing)} of the {len(GOALS)} goals hit one failed call; plan-first re-plans "
             "once (the real re-plan message), the loop goes on in its transcript", "", *measures(failed_plan, failed_react),
             "", "The failing goals alone, weighted tokens (output × 5):", "",
             "| # | goal | failed step | plan-first without / with | loop without / with | ratio without / with |",
             "|---:|---|---|---:|---:|---:|"]
    for i in failing:
        goal = GOALS[i]
        failure = FAILURES[goal.text]
        step = failure.step + ("" if failure.item is None else f" (item {failure.item + 1})")
        p0, p1 = plan.weighted(i), failed_plan.weighted(i)
        r0, r1 = react.weighted(i), failed_react.weighted(i)
        lines.append(f"| {i + 1} | {goal.text} | {step} of {len(goal.steps)} | {p0:,.0f} / {p1:,.0f} | "
                     f"{r0:,.0f} / {r1:,.0f} | {r0 / p0:.1f}× / {r1 / p1:.1f}× |")
    return "\n".join(lines)


def by_length_table(plan: Tally, react: Tally, rounds_of: list[int]) -> str:
    """The goals of the mix grouped by the fair loop's rounds of calls before its answer (its
    dependency levels; no failures). The first goal pays both sides' one-off write of the
    shared prefix, so it is left out here."""
    lines = ["By the loop's rounds of calls (the mix, no failures, goal 1 left out: it pays the one-off prefix write), "
             "weighted tokens per goal (output × 5):", "",
             "| rounds of calls | goals | steps per goal | plan-first | loop | loop ÷ plan-first |",
             "|---:|---:|---:|---:|---:|---:|"]
    for n in sorted(set(rounds_of)):
        idx = [i for i, r in enumerate(rounds_of) if r == n and i > 0]
        p = sum(plan.weighted(i) for i in idx) / len(idx)
        r = sum(react.weighted(i) for i in idx) / len(idx)
        steps = sum(len(GOALS[i].steps) for i in idx) / len(idx)
        lines.append(f"| {n} | {len(idx)} | {steps:.1f} | {p:,.1f} | {r:,.1f} | {r / p:.1f}× |")
    return "\n".join(lines)
