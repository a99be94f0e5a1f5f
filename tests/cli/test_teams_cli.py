"""`deputy teams …` as an operator uses it: list, show, set, disable/enable, export, delete
(dry run first), on the home's database with two teams' rows; nothing of the other team moves."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.settings import load_settings
from bot.store.database import Database
from tests.cli.conftest import Run
from tests.teams.seed import seed_team

A, B = "discord:1100000000000000002", "slack:T0B"


def _seed() -> None:
    async def seed() -> None:
        db = Database(load_settings().resolved_database_url)
        await seed_team(db, A, "Acme")
        await seed_team(db, B, "Globex")
        await db.dispose()

    asyncio.run(seed())


def test_an_operator_lists_shows_sets_and_disables_a_team(deputy: Run) -> None:
    _seed()
    assert [line.split()[:2] for line in deputy("teams", "list").splitlines()] == [
        [A, "active"], [B, "active"]]
    shown = deputy("teams", "show", A)
    assert shown.startswith(f"{A} · Acme · active") and "  memories: 1" in shown and "  goals: 1" in shown

    assert "finance = role 5678" in deputy("teams", "set", A, "role", "finance", "5678")
    assert "finance = role 5678" in deputy("teams", "show", A)
    assert "no role map to set here" in deputy("teams", "set", B, "role", "finance", "1", code=1)
    assert "'Mars/Base' is not a time zone" in deputy("teams", "set", A, "timezone", "Mars/Base", code=1)

    assert deputy("teams", "disable", A) == f"{A} is disabled (was active)."
    listed = {row["key"]: row["status"] for row in json.loads(deputy("teams", "list", "--json"))}
    assert listed == {A: "disabled", B: "active"}
    assert deputy("teams", "enable", A) == f"{A} is active (was disabled)."
    assert deputy("teams", "show", "acme", code=1) == (
        "deputy: 'acme' is not a team key: use platform:team_id, e.g. discord:1234")
    assert deputy("teams", "show", "discord:42", code=1).startswith("deputy: There is no team discord:42")
    deputy("audit", "verify")  # what the CLI recorded is signed like what chat records


def test_export_then_delete_one_team_leaves_the_other_whole(deputy: Run, tmp_path: Path) -> None:
    _seed()
    out = tmp_path / "acme.jsonl"
    deputy("teams", "export", A, "--output", str(out))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0] == {"table": "teams", "row": lines[0]["row"]} and lines[0]["row"]["key"] == A
    assert {"actors", "goals", "memories", "episodes", "autopilot_trust"} <= {line["table"] for line in lines}
    assert B not in out.read_text() and "Globex" not in out.read_text()
    assert deputy("teams", "export", A).splitlines() == out.read_text().splitlines()

    dry = deputy("teams", "delete", A, "--dry-run")
    assert dry.startswith(f"Would delete from {A} (credentials first):") and "  memories: 1" in dry
    assert "  memories: 1" in deputy("teams", "show", A)  # a dry run deletes nothing
    assert deputy("teams", "delete", A, input_text="n\n").endswith("Nothing deleted.")

    done = deputy("teams", "delete", A, "--yes")
    assert done.startswith(f"Deleted everything of {A}:") and "  teams: 1" in done
    assert deputy("teams", "show", A, code=1).startswith(f"deputy: There is no team {A}")
    assert deputy("teams", "delete", A, "--yes", code=1) == f"deputy: There is nothing of {A} to delete."
    kept = deputy("teams", "show", B)
    assert all(f"  {table}: 1" in kept for table in ("actors", "goals", "memories", "episodes", "teams"))
    deputy("audit", "verify")


def test_an_export_piped_into_head_ends_quietly(tmp_path: Path) -> None:
    """`deputy teams export KEY | head` is a reader leaving early, not a database outage."""
    import subprocess

    from tests.cli.run import DEPUTY, clean_env
    from tests.cli.run import deputy as run_deputy

    env = clean_env(DEPUTY_HOME=str(tmp_path / ".deputy"))
    assert run_deputy("demo", "seed", "--team", B, cwd=tmp_path, env=env).code == 0  # ~80 kB: more than a pipe holds
    export = subprocess.Popen([DEPUTY, "teams", "export", B], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert export.stdout is not None and export.stderr is not None
    first = export.stdout.read(200)
    export.stdout.close()  # what `head -c 200` does
    code = export.wait(timeout=120)
    assert first.startswith(b'{"')
    assert (code, export.stderr.read().decode()) == (0, "")


def test_demo_data_for_a_chat_team_points_at_that_chat_not_the_shell(deputy: Run) -> None:
    said = deputy("demo", "seed", "--team", B).splitlines()  # the fixture seeded the shell's team
    assert said[0].startswith(f"Demo data loaded for {B}: 6 companies")
    assert said[1:] == ["Try it in that team's chat: @Deputy chase overdue invoices (not in `deputy shell`, "
                        "whose team is shell:local)"]
