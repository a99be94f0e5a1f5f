"""`deputy --help` starts at once: the command's package imports typer and nothing heavy; each
command imports what it needs when it runs (the modules loaded are checked here; the time is
not: bench/bench_startup.py measures it, docs/benchmarks.md, as a timed test would only
measure how busy the machine was)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.main import get_command

from bot.cli import app

# what `deputy … --help` loads of the project and of the heavy libraries the commands use
# (pydantic is not among them: typer itself loads it to show a group's options)
PROBE = """
import json, sys
from typer.testing import CliRunner
from bot.cli import app
result = CliRunner().invoke(app, sys.argv[1:] + ["--help"])
heavy = ("sqlalchemy", "sqlmodel", "pydantic_settings", "asyncio", "discord", "slack_bolt", "anthropic",
         "httpx", "aiohttp", "apscheduler", "alembic", "cryptography", "yaml", "integrations")
loaded = sorted(m for m in sys.modules
                if m.split(".")[0] in heavy or (m.startswith("bot.") and not m.startswith("bot.cli")))
print(json.dumps({"code": result.exit_code, "loaded": loaded}))
"""

GROUPS = sorted(name for name, command in get_command(app).commands.items()  # type: ignore[attr-defined]
                if hasattr(command, "commands"))


@pytest.mark.parametrize("words", [[], *([g] for g in GROUPS)], ids=lambda w: " ".join(["deputy", *w]))
def test_help_loads_no_heavy_module(words: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, *words], capture_output=True, text=True,
                          timeout=60, check=True)
    probe = json.loads(done.stdout)
    assert probe == {"code": 0, "loaded": ["bot.errors"]}


def test_every_command_has_help_text() -> None:
    def walk(command: object, path: str) -> list[str]:
        children = getattr(command, "commands", None)
        if children is None:
            return [] if getattr(command, "help", None) else [path]
        return [miss for name, child in children.items() for miss in walk(child, f"{path} {name}")]

    assert walk(get_command(app), "deputy") == []


@pytest.mark.parametrize("group", GROUPS)
def test_each_command_s_line_in_its_group_s_help_is_one_line_on_a_wide_terminal(group: str) -> None:
    """Typer used to keep a docstring's line breaks in the group's list of commands, so
    `deputy policy --help` showed "…, after the same" and "checks as …" on two lines."""
    from typer.testing import CliRunner

    commands = get_command(app).commands[group].commands  # type: ignore[attr-defined]
    shown = CliRunner().invoke(app, [group, "--help"], env={"COLUMNS": "400"}, terminal_width=400).output
    for name, command in commands.items():
        summary = " ".join((command.help or "").strip().split("\n\n")[0].split())
        assert f"{name} " in shown and summary in shown, f"{group} {name}: {summary!r} not on one line:\n{shown}"


def test_version_names_the_installed_release() -> None:
    from importlib.metadata import version

    done = subprocess.run([sys.executable, "-c", "from bot.cli import main; main()", "--version"], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout == f"deputy {version('deputy-bot')}\n"


def _commands(command: object, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += _commands(sub, (*path, name))
    return found


def test_every_argument_and_option_says_what_it_is() -> None:
    """A newcomer reading `deputy runs show --help` learns what RUN_ID is, not just its type."""
    unexplained = [f"deputy {' '.join(path)} {param.name}"
                   for path, command in _commands(get_command(app))
                   for param in getattr(command, "params", [])
                   if param.name != "help" and not (getattr(param, "help", None) or "").strip()]
    assert unexplained == []
