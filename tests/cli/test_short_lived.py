"""`deputy runs list` / `runs show` run without cyclic garbage collection (they print and
exit; the collector only walked what importing the store made) and leave it as they found
it, so a process that runs them inside itself (these tests) keeps its collector."""

from __future__ import annotations

import gc

import pytest

import bot.runs_listing
from tests.cli.conftest import Run


def test_runs_list_runs_without_the_collector_and_turns_it_back_on(
        deputy: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    listing = bot.runs_listing.plain_runs

    def spying(*args: object) -> object:
        seen.append(gc.isenabled())
        return listing(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(bot.runs_listing, "plain_runs", spying)
    assert gc.isenabled()
    assert "No runs yet" in deputy("runs", "list")
    assert seen == [False] and gc.isenabled()
    deputy("runs", "show", "999", code=1)  # refused (exit 1): the collector is back on all the same
    assert gc.isenabled()
