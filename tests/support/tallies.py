"""Counts that tests keep about the cases they tried (fuzz outcomes, how often a property's
assertion ran), printed once at the end of the session by ``pytest_terminal_summary`` in
tests/conftest.py. A test never reads another test's tally, so the order tests run in and
running one test alone change nothing."""

from __future__ import annotations

from collections import Counter

TALLIES: dict[str, Counter[str]] = {}


def tally(name: str) -> Counter[str]:
    """The counter called ``name``, created on first use."""
    return TALLIES.setdefault(name, Counter())


def summary_lines() -> list[str]:
    return [f"{name}: {sum(counts.values())} cases: "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            for name, counts in sorted(TALLIES.items()) if counts]
