"""Deputy's ack p99 against the bare slack-bolt floor, over interleaved pairs of runs.

One floor run and one Deputy run, minutes apart, gave ratios from 1.2× to 4.1× in six quiet
runs of the same code: the floor's own p99 (a few milliseconds) moved 3× between runs. So
``bench_slack_serve --repeat N`` runs floor, Deputy, floor, Deputy, … at each rate, and the
ratio is judged by two figures fixed before any run, both reported, neither chosen after:

- the **median of the paired ratios** (each Deputy run over the floor run just before it,
  which saw the same machine);
- the **pooled ratio**: the p99 of every request of every Deputy run over the p99 of every
  request of every floor run.

Every pair's p99s and ratio are printed as well, never only the best.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

JUDGED_BY = ("Judged by (fixed before the runs, both reported): the median of the paired ratios, "
             "and the pooled ratio (p99 of all Deputy requests / p99 of all floor requests).")


def percentile(values: list[float], q: float) -> float:
    """The bench's percentile (bench_slack_ack's): the value at rank ``int(q * n)``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Pairs:
    """The latencies (seconds) of each floor run and of the Deputy run paired with it."""

    floor: list[list[float]] = field(default_factory=list)
    deputy: list[list[float]] = field(default_factory=list)

    def add(self, floor: list[float], deputy: list[float]) -> None:
        self.floor.append(list(floor))
        self.deputy.append(list(deputy))

    def ratios(self) -> list[float]:
        return [percentile(d, 0.99) / percentile(f, 0.99) for f, d in zip(self.floor, self.deputy, strict=True)]

    def median_ratio(self) -> float:
        return statistics.median(self.ratios()) if self.floor else float("nan")

    def pooled(self) -> tuple[float, float]:
        """p99 of every floor request and of every Deputy request, all runs together."""
        return (percentile([x for run in self.floor for x in run], 0.99),
                percentile([x for run in self.deputy for x in run], 0.99))

    def pooled_ratio(self) -> float:
        floor, deputy = self.pooled()
        return deputy / floor


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


def tables(pairs: dict[tuple[str, float], Pairs]) -> list[str]:
    """Markdown: every pair (p99s and ratio), then per server and rate the median of the
    paired ratios and the pooled p99s and their ratio. Keys: (server's label, rate)."""
    lines = [JUDGED_BY, "",
             "| server | req/s | pair | floor p99 | Deputy p99 | Deputy / floor |",
             "|---|---:|---:|---:|---:|---:|"]
    for (label, rate), found in pairs.items():
        for n, (floor, deputy, ratio) in enumerate(zip(found.floor, found.deputy, found.ratios(), strict=True), 1):
            lines.append(f"| {label} | {rate:g} | {n} | {ms(percentile(floor, 0.99))} "
                         f"| {ms(percentile(deputy, 0.99))} | {ratio:.2f}× |")
    lines += ["",
              "| server | req/s | pairs | paired ratios | median paired ratio | pooled floor p99 "
              "| pooled Deputy p99 | pooled ratio |",
              "|---|---:|---:|---|---:|---:|---:|---:|"]
    for (label, rate), found in pairs.items():
        pooled_floor, pooled_deputy = found.pooled()
        listed = ", ".join(f"{r:.2f}" for r in found.ratios())
        lines.append(f"| {label} | {rate:g} | {len(found.floor)} | {listed} | {found.median_ratio():.2f}× "
                     f"| {ms(pooled_floor)} | {ms(pooled_deputy)} | {found.pooled_ratio():.2f}× |")
    return lines
