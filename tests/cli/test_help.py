"""`deputy --help` starts at once: the command's package imports typer and nothing heavy; each
command imports what it needs when it runs. bench/bench_startup.py times it (docs/benchmarks.md)."""

from __future__ import annotations

import json
import resource
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


def test_deputy_help_takes_a_fifth_of_a_second_of_cpu() -> None:
    # CPU time (user + system) of three fresh processes, median: steady on a loaded machine,
    # where the wall clock is not. About 0.18 s here; with the application imported it is 1 s
    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    spent = []
    for _ in range(3):
        before = cpu()
        subprocess.run([sys.executable, "-c", "from bot.cli import main; main()", "--help"],
                       capture_output=True, timeout=60, check=True)
        spent.append(cpu() - before)
    assert sorted(spent)[1] < 0.5, spent


def test_every_command_has_help_text() -> None:
    def walk(command: object, path: str) -> list[str]:
        children = getattr(command, "commands", None)
        if children is None:
            return [] if getattr(command, "help", None) else [path]
        return [miss for name, child in children.items() for miss in walk(child, f"{path} {name}")]

    assert walk(get_command(app), "deputy") == []
