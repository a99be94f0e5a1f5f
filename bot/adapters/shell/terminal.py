"""``deputy shell``: the interactive loop on a terminal, or a script on a pipe.

On a terminal with an existing home the prompt comes first: the banner and the prompt need
only the settings, so they are shown before anything else is imported; the app (integrations,
policy, database, keyring) is built and what handles a line imported while the person types,
and the first line waits for that. A mistake found then stops the shell at once, as it would
have before the prompt. On a pipe, or when this start creates the home (its note must come
first), the app is built before anything is read, as before (docs/benchmarks.md, "Start-up of
the `deputy` command").
"""

from __future__ import annotations

import asyncio
import gc
import getpass
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot import lazy_re
from bot.adapters.shell.form_input import Answer, ask_pipe, ask_terminal
from bot.adapters.shell.texts import DEMO_HINT, SHELL_HELP, banner
from bot.home import missing_home_files
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.adapters.shell.session import ShellSession

TONE_STYLE = {"error": "bold red", "warning": "yellow", "success": "green", "info": ""}
PROMPT = "you> "
Write = Callable[[str, str], None]


def _writer(interactive: bool) -> Write:
    if interactive:
        from rich.console import Console

        console = Console(highlight=False)

        def write(text: str, tone: str) -> None:
            console.print(text, style=TONE_STYLE.get(tone, ""), markup=False)

        return write

    def write_plain(text: str, tone: str) -> None:
        print(text, flush=True)

    return write_plain


def read_line(prompt: str, interactive: bool) -> asyncio.Future[str | None]:
    """The next line (None at end of input), read in a daemon thread: a start-up mistake found
    while the person has not typed yet ends the process without waiting for a line."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str | None] = loop.create_future()

    def settle(line: str | None) -> None:
        if not future.done():
            future.set_result(line)

    def read() -> None:
        line: str | None
        if interactive:
            try:
                line = input(prompt)
            except EOFError:  # Ctrl-D: the terminal's prompt goes on a line of its own
                print(flush=True)
                line = None
        else:
            line = sys.stdin.readline() or None
        loop.call_soon_threadsafe(settle, line)

    threading.Thread(target=read, name="deputy-shell-input", daemon=True).start()
    return future


def _asker(interactive: bool) -> Callable[[str, bool], Awaitable[Answer]]:
    async def ask(label: str, secret: bool) -> Answer:
        # not asyncio.to_thread(input): Ctrl-C would hang the shell (form_input says why)
        return await (ask_terminal(label, secret) if interactive else ask_pipe())

    return ask


def _import_handlers() -> None:
    """Import what building the app and handling a line need (most of the start-up)."""
    import bot.adapters.shell.session
    import bot.app  # noqa: F401 - the composition root

    bot.adapters.shell.session.warm_up()


async def open_session(settings: Settings, name: str, write: Write, interactive: bool,
                       on_new_home: Callable[[str], None] | None = None) -> ShellSession:
    """The app built from ``settings`` and the shell's session on it, with everything that
    handles a line imported (in a thread: the person may be typing meanwhile)."""
    # no cyclic garbage collection while it loads: start-up makes ~100 MB of objects that
    # live as long as the process, and the collector walked them again and again (~13 % of
    # the CPU of importing and building, docs/benchmarks.md "Start-up of the `deputy`
    # command"); then frozen out of its sight, so a later collection walks only what the
    # conversation makes (the few cycles start-up left are kept: no full collection now)
    gc.disable()
    try:
        await asyncio.to_thread(_import_handlers)
        from bot.adapters.shell.port import TextPort
        from bot.adapters.shell.session import ShellSession, local_actor
        from bot.app import build_app

        deputy = await build_app(settings, on_new_home=on_new_home)
        # the patterns a goal is planned with (the rule planner's, the memory and monitor
        # phrases), compiled now rather than by the first goal: one less wait for a line
        # typed once the app is ready, the same work for one typed at once
        await asyncio.to_thread(lazy_re.compile_all)
    finally:
        gc.freeze()
        gc.enable()
    return ShellSession(deputy, TextPort(write), local_actor(name, settings.timezone), _asker(interactive))


async def run_shell(settings: Settings, user: str | None,
                    on_new_home: Callable[[str], None] | None = None) -> None:
    interactive = sys.stdin.isatty()
    name = user or getpass.getuser().capitalize()
    write = _writer(interactive)
    if interactive and not missing_home_files(settings):
        await _prompt_first(settings, name, write)
        return
    session = await open_session(settings, name, write, interactive, on_new_home)
    try:
        if interactive:
            write(banner(settings, name), "info")
            write(SHELL_HELP, "info")
            if await session.needs_demo():
                write(DEMO_HINT, "warning")
        while (line := await read_line(PROMPT, interactive)) is not None:
            if not await session.handle_line(line):
                break
    finally:
        await session.app.close()


async def _prompt_first(settings: Settings, name: str, write: Write) -> None:
    """The banner and the first prompt at once; the app is built while the person types."""
    write(banner(settings, name), "info")
    write(SHELL_HELP, "info")
    building = asyncio.ensure_future(open_session(settings, name, write, True))
    pending = await _while_building(read_line(PROMPT, True), building, write)
    try:
        session = await building
    except BaseException:
        print(file=sys.stderr, flush=True)  # the error goes below the prompt, not after it
        raise
    try:
        # the hint the banner could not give (it needs the database): with the first answer
        hint = await session.needs_demo()
        line = await pending
        while line is not None:
            if hint and line.strip().lower() not in ("demo", "quit", "exit"):
                write(DEMO_HINT, "warning")
            hint = False
            if not await session.handle_line(line):
                break
            line = await read_line(PROMPT, True)
    finally:
        await session.app.close()


async def _while_building(line: asyncio.Future[str | None], building: asyncio.Future[ShellSession],
                          write: Write) -> asyncio.Future[str | None]:
    """Answer what needs no app while it is built: ``help`` (the same text the session
    prints) and empty lines. Returns the first line that needs the app (maybe still being
    typed) once one is typed or the app is built (or failed to build: the caller's await
    raises it at once, without waiting for a line)."""
    while not building.done():
        either: list[asyncio.Future[Any]] = [line, building]
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if building.done() or line.result() is None:
            break
        text = line.result() or ""
        if text.strip().lower() not in ("help", ""):
            break
        if text.strip():
            write(SHELL_HELP, "info")
        line = read_line(PROMPT, True)
    return line
