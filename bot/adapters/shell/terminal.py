"""``deputy shell``: the interactive loop on a terminal, or a script on a pipe."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable

from bot.adapters.shell.port import TextPort
from bot.adapters.shell.session import SHELL_HELP, ShellSession, local_actor, warm_up
from bot.app import build_app
from bot.settings import Settings

TONE_STYLE = {"error": "bold red", "warning": "yellow", "success": "green", "info": ""}


def _writer(interactive: bool) -> Callable[[str, str], None]:
    if interactive:
        from rich.console import Console

        console = Console(highlight=False)

        def write(text: str, tone: str) -> None:
            console.print(text, style=TONE_STYLE.get(tone, ""), markup=False)

        return write

    def write_plain(text: str, tone: str) -> None:
        print(text, flush=True)

    return write_plain


async def _read_line(prompt: str, interactive: bool) -> str | None:
    if interactive:
        try:
            return await asyncio.to_thread(input, prompt)
        except EOFError:
            return None
    line = await asyncio.to_thread(sys.stdin.readline)
    return line if line else None


def _asker(interactive: bool) -> Callable[[str, bool], Awaitable[str | None]]:
    async def ask(label: str, secret: bool) -> str | None:
        if interactive:
            try:
                reader = getpass.getpass if secret else input
                return await asyncio.to_thread(reader, label)
            except EOFError:
                return None
        line = await asyncio.to_thread(sys.stdin.readline)
        return line.rstrip("\n") if line else None

    return ask


async def run_shell(settings: Settings, user: str | None,
                    on_new_home: Callable[[str], None] | None = None) -> None:
    interactive = sys.stdin.isatty()
    deputy = await build_app(settings, on_new_home=on_new_home)
    name = user or getpass.getuser().capitalize()
    port = TextPort(_writer(interactive))
    session = ShellSession(deputy, port, local_actor(name, settings.timezone), _asker(interactive))
    try:
        if interactive:
            port.say(f"Deputy shell — you are {name}. Planner: {deputy.planner.name}. "
                        f"Database: {deputy.database.shown_url}", "info")
            port.say(SHELL_HELP, "info")
            if await session.needs_demo():
                port.say("Nothing to act on yet: type `demo` to load a demo team "
                            "(people, clients, overdue invoices, a busy calendar).", "warning")
        # what handles a line is imported while the person types the first one (on a pipe, while
        # the first line is read); awaited before that line is handled, so it runs with all of
        # it loaded and an import error stops the shell here, as it did at start-up
        warming: asyncio.Task[None] | None = asyncio.create_task(asyncio.to_thread(warm_up))
        while True:
            line = await _read_line("you> ", interactive)
            if warming is not None:
                await warming
                warming = None
            if line is None or not await session.handle_line(line):
                break
    finally:
        await deputy.close()
