"""`deputy shell` on a terminal with an existing home shows its first prompt before it imports
the store, the integrations, the policy, the planner or the flow: the app is built while the
person types, the first line typed waits for it and is answered, and a start-up mistake found
meanwhile stops the shell at once. Building the app loads neither the flow nor compiles the rule
planner's patterns (every process that builds one saves that)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.cli.run import DEPUTY, clean_env

# slow (starts deputy as a process): `make test` runs it; `pytest -m "not slow"` leaves it out
pytestmark = pytest.mark.slow

# what a process does before its first event (build the app, a session, the demo hint's query)
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


def test_building_the_app_needs_neither_the_flow_nor_the_planner_s_patterns(tmp_path: Path) -> None:
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
    assert wanted in seen, f"the terminal closed before {wanted!r}:\n{seen.decode(errors='replace')}"


def test_on_a_terminal_the_first_goal_typed_at_the_prompt_is_planned(tmp_path: Path) -> None:
    seen = bytearray()
    with _shell_on_a_terminal(tmp_path, clean_env()) as (shell, controller):
        _read_until(controller, b"you> ", seen)
        # typed at once, while the shell may still be importing what handles it
        os.write(controller, b"demo\nwhat's overdue?\n")
        _read_until(controller, b"Run 1: Done: List overdue invoices", seen)
        os.write(controller, b"quit\n")
        assert shell.wait(timeout=60) == 0
    text = seen.decode(errors="replace")
    assert "Demo data loaded" in text and "Traceback" not in text


def _take_the_terminal() -> None:
    # in the child, a session leader: the pseudo-terminal on its stdin becomes its controlling
    # terminal, so a Ctrl-C typed there (byte 0x03) is a SIGINT from the terminal, as for a person
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@contextmanager
def _shell_on_a_terminal(cwd: Path, env: dict[str, str], *, controlling: bool = False,
                         ) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`deputy shell --user Dev` on a pseudo-terminal: (the process, the terminal's controller
    side); killed if still running, and the terminal closed, at the end. ``controlling``: the
    terminal is the shell's controlling terminal (Ctrl-C and echo work as for a person)."""
    controller, terminal = pty.openpty()
    shell = subprocess.Popen([DEPUTY, "shell", "--user", "Dev"], cwd=cwd, stdin=terminal,
                             stdout=terminal, stderr=terminal, env={**env, "TERM": "dumb"}, close_fds=True,
                             start_new_session=controlling,
                             preexec_fn=_take_the_terminal if controlling else None)  # noqa: PLW1509
    os.close(terminal)
    try:
        yield shell, controller
    finally:
        if shell.poll() is None:
            shell.kill()
            shell.wait()
        os.close(controller)


def _existing_home(tmp_path: Path) -> dict[str, str]:
    env = clean_env(DEPUTY_HOME=str(tmp_path / "home"))
    created = subprocess.run([DEPUTY, "shell"], cwd=tmp_path, input="quit\n", env=env, capture_output=True,
                             text=True, timeout=120, check=False)
    assert created.returncode == 0, created.stderr
    return env


# what the first prompt must not wait for: the store and SQLAlchemy, the integrations' code and
# manifests (jsonschema), the policy, the planner, the vault, the app and what handles a line
DEFERRED = ("sqlalchemy", "sqlmodel", "jsonschema", "bot.store", "bot.registry", "bot.policy", "bot.planning",
            "bot.vault", "bot.core", "bot.app", "bot.dispatch", "bot.flow", "bot.execution",
            "integrations.local", "bot.adapters.shell.session")


def test_the_first_prompt_comes_before_the_store_the_integrations_and_the_flow(tmp_path: Path) -> None:
    env = _existing_home(tmp_path)
    controller, terminal = pty.openpty()
    log = tmp_path / "imports.log"
    with log.open("wb") as stderr:
        # on a terminal input() writes its prompt to stderr: after the imports made before it
        shell = subprocess.Popen([sys.executable, "-X", "importtime", DEPUTY, "shell"], cwd=tmp_path,
                                 stdin=terminal, stdout=terminal, stderr=stderr, env={**env, "TERM": "dumb"},
                                 close_fds=True)
    os.close(terminal)
    try:
        deadline = time.monotonic() + 60
        while b"you> " not in log.read_bytes():
            assert time.monotonic() < deadline and shell.poll() is None, log.read_text(errors="replace")[-2000:]
            time.sleep(0.05)
        os.write(controller, b"quit\n")
        assert shell.wait(timeout=60) == 0
    finally:
        if shell.poll() is None:
            shell.kill()
            shell.wait()
        os.close(controller)
    before, _, after = log.read_text(errors="replace").partition("you> ")
    imported = {line.rpartition("|")[2].strip() for line in before.splitlines() if line.startswith("import time:")}
    assert "pydantic_settings" in imported  # the settings were read: the log is the one wanted
    assert sorted(m for m in imported if m.startswith(DEFERRED)) == []
    # ...and they are loaded once the prompt is up (the first line needs them)
    assert "bot.app" in after and "sqlalchemy" in after


def test_a_goal_typed_at_once_at_the_first_prompt_waits_for_the_app_and_is_answered(tmp_path: Path) -> None:
    seen = bytearray()
    with _shell_on_a_terminal(tmp_path, _existing_home(tmp_path)) as (shell, controller):
        _read_until(controller, b"you> ", seen)
        os.write(controller, b"what's overdue?\ndemo\nwhat's overdue?\n")
        _read_until(controller, b"Run 2: Done: List overdue invoices", seen)
        os.write(controller, b"quit\n")
        assert shell.wait(timeout=60) == 0
    text = seen.decode(errors="replace").replace("\r\n", "\n")
    assert "Traceback" not in text
    first, _, second = text.partition("Run 1: Done: List overdue invoices")
    # the hint the banner could not give (the database was not open yet) comes with the first
    # answer; before the demo team the first goal finds nothing, after it the three overdue ones
    assert "Nothing to act on yet: type `demo`" in first and "no invoices" in second.partition("Demo data")[0]
    assert "Demo data loaded" in second and "INV-0001" in second


def test_a_mistake_found_after_the_first_prompt_stops_the_shell_at_once(tmp_path: Path) -> None:
    env = _existing_home(tmp_path)
    seen = bytearray()
    with _shell_on_a_terminal(tmp_path, {**env, "DEPUTY_POLICY_FILE": "polcy.yaml"}) as (shell, controller):
        # nothing is typed: the shell must not wait for a line to say what is wrong
        assert shell.wait(timeout=60) == 2
        _read_until(controller, b"No such file or directory", seen, within=5)
    text = seen.decode(errors="replace")
    assert "you> \r\ndeputy: DEPUTY_POLICY_FILE: polcy.yaml: cannot read the policy file" in text
    assert "Traceback" not in text


def test_ctrl_c_at_the_prompt_ends_the_shell(tmp_path: Path) -> None:
    seen = bytearray()
    with _shell_on_a_terminal(tmp_path, _existing_home(tmp_path)) as (shell, controller):
        _read_until(controller, b"you> ", seen)
        os.write(controller, b"help\n")
        answer = bytearray()
        _read_until(controller, b"Act as someone else", answer)  # help answered: the app is up
        _read_until(controller, b"you> ", answer)
        shell.send_signal(signal.SIGINT)  # what Ctrl-C sends; the line is read in a daemon thread
        # the shell's last word is a line end: the terminal's own prompt is not left after "you> "
        _read_until(controller, b"you> \r\n", answer, within=20)
        assert shell.wait(timeout=20) == 130


def test_ctrl_d_at_the_prompt_ends_the_shell_on_a_line_of_its_own(tmp_path: Path) -> None:
    seen = bytearray()
    with _shell_on_a_terminal(tmp_path, _existing_home(tmp_path)) as (shell, controller):
        _read_until(controller, b"you> ", seen)
        os.write(controller, b"\x04")
        _read_until(controller, b"you> \r\n", seen, within=20)
        assert shell.wait(timeout=20) == 0
    assert "Traceback" not in seen.decode(errors="replace")


CTRL_C, CTRL_D = b"\x03", b"\x04"


def test_ctrl_c_or_ctrl_d_in_a_connect_form_cancels_it_and_the_shell_goes_on(tmp_path: Path) -> None:
    """A connect form reads its answers while the shell waits: Ctrl-C (typed on the terminal,
    not a signal sent to the process alone) and Ctrl-D cancel the form, store nothing, print no
    traceback, and the next line typed is answered; Ctrl-C at the prompt still ends the shell."""
    seen = bytearray()
    env = {**_existing_home(tmp_path), "DEPUTY_INTEGRATIONS": '["local", "email", "crm"]'}
    with _shell_on_a_terminal(tmp_path, env, controlling=True) as (shell, controller):
        _read_until(controller, b"you> ", seen)
        os.write(controller, b"connect email\n")
        _read_until(controller, b"SMTP server: ", seen)
        os.write(controller, b"smtp.example.com\n")
        _read_until(controller, b"Port (optional): ", seen)
        os.write(controller, b"58")  # half typed, then Ctrl-C
        os.write(controller, CTRL_C)
        _read_until(controller, b"Connect email cancelled (Ctrl-C); nothing was stored.", seen, within=20)
        _read_until(controller, b"you> ", seen)
        os.write(controller, b"connect crm\n")
        _read_until(controller, b"HubSpot private app access token: ", seen)
        os.write(controller, b"pat-na1-hidden")  # a secret: not echoed
        os.write(controller, CTRL_C)
        _read_until(controller, b"Connect crm cancelled (Ctrl-C)", seen, within=20)
        _read_until(controller, b"you> ", seen)
        os.write(controller, b"connect email\n")
        _read_until(controller, b"SMTP server: ", seen)
        os.write(controller, CTRL_D)
        _read_until(controller, b"Connect email cancelled (end of input); nothing was stored.", seen, within=20)
        _read_until(controller, b"you> ", seen)
        # the terminal works as before: the next line is read (and echoed) and answered
        os.write(controller, b"connections\n")
        _read_until(controller, b"connections\r\n", seen, within=20)
        _read_until(controller, b"you> ", seen, within=20)
        os.write(controller, b"typed at the prompt")
        os.write(controller, CTRL_C)
        assert shell.wait(timeout=20) == 130
    text = seen.decode(errors="replace")
    assert "Traceback" not in text and "pat-na1-hidden" not in text
    assert text.count("cancelled") == 3


GC_PROBE = """
import asyncio, gc, json
from bot.adapters.shell.terminal import open_session
from bot.settings import load_settings

async def start():
    session = await open_session(load_settings(), "Dev", lambda text, tone: None, False)
    await session.app.close()

asyncio.run(start())
from bot.lazy_re import _MADE
print(json.dumps({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
                  "patterns": len(_MADE), "uncompiled": sum(p._compiled is None for p in _MADE)}))
"""


def test_the_collector_is_paused_only_while_the_shell_loads(tmp_path: Path) -> None:
    """Start-up runs without cyclic garbage collection (it only walked start-up's objects
    again and again); afterwards the collector is on, with start-up's objects frozen out of
    its sight, so a long conversation is collected as before. The lazy patterns are compiled
    by then (while the person types), not by the first goal."""
    done = subprocess.run([sys.executable, "-c", GC_PROBE], cwd=tmp_path, capture_output=True, text=True,
                          env=clean_env(DEPUTY_HOME=str(tmp_path / "home")), timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    after = json.loads(done.stdout.splitlines()[-1])
    assert after["enabled"] is True and after["frozen"] > 100_000
    # and the patterns a goal is planned with are compiled by then, not by the first goal
    assert after["patterns"] > 50 and after["uncompiled"] == 0
