"""bench_slack_serve --repeat: every pair's ratio, the median of the paired ratios and the
pooled ratio, each from the latencies it is given (bench/slack_pairs.py)."""

from __future__ import annotations

import pytest

from bench.run_all import markdown_tables
from bench.slack_pairs import Pairs, percentile, tables


def ms(*values: float) -> list[float]:
    return [v / 1000 for v in values]


def test_paired_median_and_pooled_ratios() -> None:
    pairs = Pairs()
    # 100 requests a run: p99 is the largest value (rank int(0.99 * 100) = 99)
    pairs.add(ms(*[1] * 99, 4), ms(*[2] * 99, 8))    # 2×
    pairs.add(ms(*[1] * 99, 2), ms(*[2] * 99, 10))   # 5×
    pairs.add(ms(*[1] * 99, 8), ms(*[2] * 99, 12))   # 1.5×
    assert pairs.ratios() == pytest.approx([2.0, 5.0, 1.5])
    assert pairs.median_ratio() == pytest.approx(2.0)
    # pooled: 300 requests each, p99 at rank 297 → the third largest of each side
    floor, deputy = pairs.pooled()
    assert (floor, deputy) == pytest.approx((0.002, 0.008))
    assert pairs.pooled_ratio() == pytest.approx(4.0)


def test_the_tables_list_every_pair_and_both_judged_figures() -> None:
    pairs = Pairs()
    pairs.add(ms(*[1] * 99, 4), ms(*[2] * 99, 8))
    pairs.add(ms(*[1] * 99, 2), ms(*[2] * 99, 10))
    text = "\n".join(tables({("web", 200.0): pairs}))
    each, summary = markdown_tables(text)
    assert [(r["pair"], r["floor p99"], r["Deputy p99"], r["Deputy / floor"]) for r in each] == [
        ("1", "4.0 ms", "8.0 ms", "2.00×"), ("2", "2.0 ms", "10.0 ms", "5.00×")]
    [row] = summary
    assert row["paired ratios"] == "2.00, 5.00"
    assert row["median paired ratio"] == "3.50×"
    # pooled p99s (rank 198 of 200, counted from 0): 2.0 ms and 8.0 ms
    assert (row["pooled floor p99"], row["pooled Deputy p99"], row["pooled ratio"]) == ("2.0 ms", "8.0 ms", "4.00×")


def test_percentile_of_nothing_is_nan() -> None:
    assert percentile([], 0.99) != percentile([], 0.99)
