"""The answers to a connect form at the terminal, read without a thread that can hang.

A form used to read each answer with ``asyncio.to_thread(input)`` (``getpass`` for a secret):
Ctrl-C then cancelled the shell's task, but ``asyncio.run`` waited for the executor's thread,
still blocked in ``input()``, so the shell hung until Enter (and a thread left blocked in
``getpass`` keeps the terminal's echo off). Here, on a terminal, the answer is read by the
event loop itself: the terminal stays in canonical mode (the kernel edits the line and hands
it over whole, at Enter), the loop waits for stdin to be readable, and for a secret the echo
is turned off with termios and always turned back on. While a form waits, Ctrl-C settles it as
"interrupted" (a SIGINT handler of the loop's, the shell's own one put back after), so the
form is cancelled and the shell goes on; at the prompt Ctrl-C still ends the shell (exit 130).
On a pipe an answer is a line of stdin read in a daemon thread, as the prompt's lines are.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import termios
import threading
from enum import Enum


class Stop(Enum):
    """Why a form got no answer: Ctrl-D (end of input) or Ctrl-C."""

    EOF = "end of input"
    INTERRUPTED = "Ctrl-C"


Answer = str | Stop


async def ask_terminal(label: str, secret: bool) -> Answer:
    """One answer typed at the terminal (stdin is a tty), the label shown before it."""
    loop = asyncio.get_running_loop()
    fd = sys.stdin.fileno()
    answer: asyncio.Future[Answer] = loop.create_future()
    typed = bytearray()

    def readable() -> None:
        chunk = os.read(fd, 4096)
        typed.extend(chunk)
        if not chunk:  # Ctrl-D on an empty line
            _settle(answer, Stop.EOF)
        elif typed.endswith(b"\n"):
            _settle(answer, typed.decode(errors="replace").rstrip("\r\n"))

    echo = termios.tcgetattr(fd) if secret else None
    if echo is not None:
        quiet = list(echo)
        quiet[3] &= ~termios.ECHO  # lflags: the secret is not shown as it is typed
        termios.tcsetattr(fd, termios.TCSANOW, quiet)
    shell_handler = signal.getsignal(signal.SIGINT)
    loop.add_signal_handler(signal.SIGINT, _settle, answer, Stop.INTERRUPTED)
    loop.add_reader(fd, readable)
    # the label last: a Ctrl-C typed as soon as it shows must find the form's handler
    sys.stdout.write(label)
    sys.stdout.flush()
    try:
        return await answer
    finally:
        loop.remove_reader(fd)
        loop.remove_signal_handler(signal.SIGINT)
        # asyncio.run's own handler: Ctrl-C at the prompt ends the shell, as before the form
        signal.signal(signal.SIGINT, shell_handler if shell_handler is not None else signal.default_int_handler)
        if echo is not None:
            termios.tcsetattr(fd, termios.TCSANOW, echo)
        if echo is not None or not typed.endswith(b"\n"):
            # the Enter of a secret was not echoed either; after ^C or Ctrl-D the cursor is
            # still on the label's line
            sys.stdout.write("\n")
            sys.stdout.flush()


async def ask_pipe() -> Answer:
    """The next line of stdin (not a terminal), read in a daemon thread: a thread still
    reading does not keep the process from ending."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[Answer] = loop.create_future()

    def read() -> None:
        line = sys.stdin.readline()
        loop.call_soon_threadsafe(_settle, answer, line.rstrip("\n") if line else Stop.EOF)

    threading.Thread(target=read, name="deputy-shell-form", daemon=True).start()
    return await answer


def _settle(answer: asyncio.Future[Answer], value: Answer) -> None:
    if not answer.done():
        answer.set_result(value)
