"""The ``deputy`` command as an operator runs it, on a seeded home of its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

Run = Callable[..., str]  # deputy(*words, code=0) -> what it printed


@pytest.fixture
def deputy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Runs ``deputy`` with a demo-seeded DEPUTY_HOME; asserts the exit status (0 unless told)."""
    monkeypatch.setenv("DEPUTY_HOME", str(tmp_path / ".deputy"))
    runner = CliRunner()

    def run(*args: str, code: int = 0, input_text: str | None = None) -> str:
        result = runner.invoke(app, list(args), input=input_text)
        assert result.exit_code == code, result.output
        return result.output.strip()

    run("demo", "seed")
    return run
