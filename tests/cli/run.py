"""Run the real ``deputy`` command as a user would: a subprocess, in a folder of the test's
choosing, with only the settings the test gives it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# the venv running the tests has the project installed (editable), so its `deputy` is the tree's
DEPUTY = str(Path(sys.executable).with_name("deputy"))


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def clean_env(**settings: str) -> dict[str, str]:
    """The environment minus every DEPUTY_/Slack/Discord/Anthropic setting, plus ``settings``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DEPUTY_", "SLACK_", "DISCORD_", "ANTHROPIC_"))
           and k != "PYTHONPATH"}
    env.update(settings)
    return env


def deputy(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = "",
           command: str = DEPUTY, timeout: float = 120) -> Result:
    done = subprocess.run([command, *args], cwd=cwd, env=env if env is not None else clean_env(),
                          input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    return Result(done.returncode, done.stdout, done.stderr)
