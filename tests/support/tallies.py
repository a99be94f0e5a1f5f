"""Counts that tests keep about the cases they tried (fuzz outcomes, how often a property's
assertion ran), printed once at the end of the session by ``pytest_terminal_summary`` in
tests/conftest.py. A test never reads another test's tally, so the order tests run in and
running one test alone change nothing. Under pytest-xdist each worker sends its tallies to
the controller when it finishes (``exported``/``merge``), which prints their sum."""

from __future__ import annotations

from collections import Counter

TALLIES: dict[str, Counter[str]] = {}


def tally(name: str) -> Counter[str]:
    """The counter called ``name``, created on first use."""
    return TALLIES.setdefault(name, Counter())


def exported() -> dict[str, dict[str, int]]:
    """This process's tallies as plain data (a worker's output to the xdist controller)."""
    return {name: dict(counts) for name, counts in TALLIES.items() if counts}


def merge(counts: dict[str, dict[str, int]]) -> None:
    """Add a worker's tallies to this process's."""
    for name, by_outcome in counts.items():
        tally(name).update(by_outcome)


def summary_lines() -> list[str]:
    return [f"{name}: {sum(counts.values())} cases: "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            for name, counts in sorted(TALLIES.items()) if counts]
