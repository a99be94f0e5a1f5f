"""What `deputy shell` answers while its app is still being built (on a terminal, after the
first prompt): `help` and empty lines need nothing of the app and are answered at once; any
other line waits for the app; a build that fails ends the wait without a line typed. The
real shell on a pseudo-terminal is tests/cli/test_shell_start.py."""

from __future__ import annotations

import asyncio

import pytest

from bot.adapters.shell import terminal
from bot.adapters.shell.texts import SHELL_HELP


class Typist:
    """Stands for the terminal: each read_line takes the next line from a queue."""

    def __init__(self) -> None:
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()
        self.prompts = 0

    def read_line(self, prompt: str, interactive: bool) -> asyncio.Future[str | None]:
        self.prompts += 1
        return asyncio.ensure_future(self.lines.get())


@pytest.fixture
def typist(monkeypatch: pytest.MonkeyPatch) -> Typist:
    typing = Typist()
    monkeypatch.setattr(terminal, "read_line", typing.read_line)
    return typing


async def test_help_typed_while_the_app_is_built_is_answered_before_it_is_ready(typist: Typist) -> None:
    building: asyncio.Future[object] = asyncio.get_running_loop().create_future()  # never ready here
    written: list[str] = []
    for line in ("help", "  ", "HELP ", "what's overdue?"):
        typist.lines.put_nowait(line)
    first = terminal.read_line(terminal.PROMPT, True)
    pending = await asyncio.wait_for(
        terminal._while_building(first, building, lambda text, tone: written.append(text)), 5)  # type: ignore[arg-type]
    assert written == [SHELL_HELP, SHELL_HELP]  # two helps answered, the empty line only re-prompted
    assert typist.prompts == 4 and not building.done()
    assert await pending == "what's overdue?"  # handed on: it waits for the app


async def test_a_line_that_needs_the_app_or_a_failed_build_ends_the_wait(typist: Typist) -> None:
    loop = asyncio.get_running_loop()
    building: asyncio.Future[object] = loop.create_future()
    first = terminal.read_line(terminal.PROMPT, True)
    waiting = asyncio.ensure_future(terminal._while_building(first, building, lambda text, tone: None))  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    assert not waiting.done()  # nothing typed, nothing built
    building.set_exception(RuntimeError("the policy file is missing"))
    pending = await asyncio.wait_for(waiting, 5)
    assert not pending.done()  # no line was needed to find out: the caller raises at once
    pending.cancel()
    # end of input at once: handed on as it is (the shell then ends once the app is built)
    typist.lines.put_nowait(None)
    again = await asyncio.wait_for(terminal._while_building(
        terminal.read_line(terminal.PROMPT, True), loop.create_future(), lambda text, tone: None), 5)  # type: ignore[arg-type]
    assert await again is None
