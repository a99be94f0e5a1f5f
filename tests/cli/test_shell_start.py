"""`deputy shell` shows its first prompt before it loads what handles a line (the dispatcher,
the conversation flow, the worker) and before it compiles the rule planner's patterns; that is
imported in a thread while the person types, and the first line typed still works."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.run import DEPUTY, clean_env

# slow (starts deputy as a process): `make test` runs it; `pytest -m "not slow"` leaves it out
pytestmark = pytest.mark.slow

# what run_shell does up to its first prompt (build the app, the session, the demo hint)
PROBE = """
import asyncio, json, sys
from bot.adapters.shell.port import TextPort
from bot.adapters.shell.session import ShellSession, local_actor
from bot.app import build_app
from bot.lazy_re import LazyPattern
from bot.settings import load_settings

async def first_prompt():
    app = await build_app(load_settings())
    session = ShellSession(app, TextPort(lambda text, tone: None), local_actor("Dev"))
    await session.needs_demo()
    await app.close()

asyncio.run(first_prompt())
compiled = sorted(name for name, module in list(sys.modules.items()) if name.startswith("bot.planning.rules")
                  for value in vars(module).values()
                  for item in (value if isinstance(value, tuple) else (value,))
                  for pattern in (item if isinstance(item, tuple) else (item,))
                  if isinstance(pattern, LazyPattern) and pattern._compiled is not None)
heavy = ("bot.dispatch", "bot.execution.worker", "bot.flow.run_observer", "bot.flow.approvals")
print(json.dumps({"loaded": sorted(m for m in heavy if m in sys.modules), "compiled": compiled}))
"""


def test_the_first_prompt_needs_neither_the_flow_nor_the_planner_s_patterns(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True,
                          env=clean_env(DEPUTY_HOME=str(tmp_path / "home")), timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"loaded": [], "compiled": []}


def _read_until(controller: int, wanted: bytes, seen: bytearray, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while wanted not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {wanted!r} within {within} s:\n{seen.decode(errors='replace')}"
        ready, _, _ = select.select([controller], [], [], min(left, 0.5))
        if ready:
            try:
                seen += os.read(controller, 4096)
            except OSError:  # the shell closed the terminal
                break


def test_on_a_terminal_the_first_goal_typed_at_the_prompt_is_planned(tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    shell = subprocess.Popen([DEPUTY, "shell", "--user", "Dev"], cwd=tmp_path, stdin=terminal, stdout=terminal,
                             stderr=terminal, env={**clean_env(), "TERM": "dumb"}, close_fds=True)
    os.close(terminal)
    seen = bytearray()
    try:
        _read_until(controller, b"you> ", seen)
        # typed at once, while the shell may still be importing what handles it
        os.write(controller, b"demo\nwhat's overdue?\n")
        _read_until(controller, b"Run 1: Done: List overdue invoices", seen)
        os.write(controller, b"quit\n")
        assert shell.wait(timeout=60) == 0
    finally:
        if shell.poll() is None:
            shell.kill()
            shell.wait()
        os.close(controller)
    text = seen.decode(errors="replace")
    assert "Demo data loaded" in text and "Traceback" not in text
