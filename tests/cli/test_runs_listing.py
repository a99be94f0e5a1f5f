"""`deputy runs list` reads with the plain driver (bot/runs_listing.py, no SQLAlchemy) when the
database is already at the migrations' heads, and lists exactly what the ORM's path
(bot/runs_report.py) lists, on SQLite and PostgreSQL, for every team and for one; a database
behind the heads, or a team without runs, goes the ORM's way (it migrates, or refuses an
unknown team)."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.domain import LOCAL_TEAM
from bot.runs_listing import plain_runs
from bot.settings import load_settings
from tests.cli.conftest import Run
from tests.cli.run import DEPUTY, clean_env
from tests.cli.test_monitors_cli import ACME, acmes_monitor
from tests.support import postgres

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "bot.store.tables", "bot.runs_report")


def _orm_listing(team: str | None, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    import asyncio

    from bot.runs_report import list_runs_report

    capsys.readouterr()
    asyncio.run(list_runs_report(load_settings(), True, team))
    listed: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return listed


def _make_runs(deputy: Run) -> None:
    """Two runs of the operator's team (one failed, finished on a whole second), one of Acme's."""
    deputy("monitors", "add", "Mine", "local.list_invoices", "shell:general", "--every", "60")
    deputy("monitors", "run", "1")
    deputy("monitors", "run", "1")
    deputy("monitors", "run", str(acmes_monitor()), "--team", ACME)


def test_the_plain_listing_is_the_orms_on_sqlite(deputy: Run, capsys: pytest.CaptureFixture[str]) -> None:
    _make_runs(deputy)
    database = load_settings().home / "deputy.db"
    with sqlite3.connect(database) as connection:
        # as SQLAlchemy writes a UTC time on SQLite (naive text, six digits of microseconds)
        connection.execute("UPDATE runs SET status = 'failed', error = 'boom', "
                           "finished_at = '2026-12-03 10:00:00.000000' WHERE id = 1")
    settings = load_settings()
    everyone = plain_runs(settings, None)
    assert everyone is not None and [run["id"] for run in everyone] == [3, 2, 1]
    assert everyone[-1]["error"] == "boom" and everyone[-1]["finished_at"] == "2026-12-03T10:00:00+00:00"
    assert everyone == _orm_listing(None, capsys)
    for team, ids in ((LOCAL_TEAM, [2, 1]), (ACME, [3])):
        mine = plain_runs(settings, team)
        assert mine is not None and [run["id"] for run in mine] == ids
        assert mine == _orm_listing(team, capsys)
    assert json.loads(deputy("runs", "list", "--json")) == everyone
    assert deputy("runs", "list").splitlines()[0].split()[:3] == ["#3", "queued", "goal"]
    # a team without runs may not exist: the ORM's path tells
    assert plain_runs(settings, "slack:T0NOPE") is None


def test_runs_list_loads_no_sqlalchemy(deputy: Run, tmp_path: Path) -> None:
    _make_runs(deputy)
    env = clean_env(DEPUTY_HOME=os.environ["DEPUTY_HOME"])
    done = subprocess.run([sys.executable, "-X", "importtime", DEPUTY, "runs", "list"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.splitlines()[0].startswith("#3 ")
    imported = {line.rpartition("|")[2].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    assert "bot.runs_listing" in imported  # the log is the one wanted
    assert sorted(m for m in imported if m.startswith(HEAVY)) == []


def test_a_database_behind_the_heads_is_migrated_by_the_orms_path(deputy: Run) -> None:
    from alembic import command

    from bot.store.migrate import alembic_config
    from bot.store.schema_version import head_revisions

    settings = load_settings()
    command.downgrade(alembic_config(settings.resolved_database_url), "-1")
    assert plain_runs(settings, None) is None
    assert deputy("runs", "list") == "No runs yet. Start one with `deputy shell`."
    with sqlite3.connect(settings.home / "deputy.db") as connection:
        stored = {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}
    assert stored == head_revisions()
    assert plain_runs(settings, None) == []


def test_the_plain_listing_is_the_orms_on_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    key = "k1:" + base64.b64encode(os.urandom(32)).decode()
    with postgres.throwaway_database(postgres.server_url()) as url:
        monkeypatch.setenv("DEPUTY_HOME", str(tmp_path / ".deputy"))
        monkeypatch.setenv("DEPUTY_DATABASE_URL", url)
        monkeypatch.setenv("DEPUTY_MASTER_KEY", key)
        runner = CliRunner()

        def deputy(*args: str, code: int = 0) -> str:
            result = runner.invoke(app, list(args))
            assert result.exit_code == code, result.output
            return result.output.strip()

        deputy("db", "upgrade")
        _make_runs(deputy)
        settings = load_settings()
        for team in (None, LOCAL_TEAM, ACME):
            listed = plain_runs(settings, team)
            assert listed is not None and listed == _orm_listing(team, capsys)
            assert all(str(run["created_at"]).endswith("+00:00") for run in listed)
        assert [run["id"] for run in plain_runs(settings, None) or []] == [3, 2, 1]
        assert json.loads(deputy("runs", "list", "--json")) == plain_runs(settings, None)


def test_runs_show_prints_each_step_s_whole_result(deputy: Run) -> None:
    """A chat answer with more rows than it shows says "… and 15 more (deputy runs show 42)";
    the text view used to cut a result after 600 characters, mid-row."""
    deputy("shell", input_text="what's overdue?\n")
    shown = deputy("runs", "show", "1")
    line = next(line for line in shown.splitlines() if line.startswith("   result: "))
    result = json.loads(line.removeprefix("   result: "))
    assert len(line) > 600
    assert [invoice["number"] for invoice in result["invoices"]] == ["INV-0001", "INV-0002", "INV-0003"]
