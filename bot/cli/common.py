"""What every ``deputy`` command shares: one-line failures, settings, the event loop, logging.

Light on purpose, like the whole package: it imports only typer and the error vocabulary, and
each command body imports what it needs (settings, asyncio, the database, the adapters), so
``deputy --help`` starts at once (tests/cli/test_help.py, bench/bench_startup.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from bot.errors import SettingsError, StartupError, UserError

if TYPE_CHECKING:
    from bot.core.deputy import Deputy
    from bot.settings import Settings

T = TypeVar("T")

HealthHost = Annotated[str, typer.Option("--host", help="Interface for the health routes.")]
HealthPort = Annotated[int | None, typer.Option(
    "--port", help="Serve /healthz, /readyz and /metrics on this port (none without it).")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON output.")]
TEAM_KEY = "a team key, platform:team_id (e.g. slack:T0123; `deputy teams list` shows them)"
TeamOption = Annotated[str | None, typer.Option(
    "--team", metavar="TEAM", help=f"Act on a row of this team, {TEAM_KEY}. Without it: the operator's own team.")]
TeamFilter = Annotated[str | None, typer.Option(
    "--team", metavar="TEAM", help=f"Only this team's, {TEAM_KEY}. Without it: every team's.")]


def group(help_text: str) -> typer.Typer:
    """A command group (``deputy runs …``): bare, it prints its help."""
    return typer.Typer(help=help_text, no_args_is_help=True)


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"deputy: {message}", err=True)
    raise typer.Exit(code)


def announce(note: str) -> None:
    typer.echo(f"deputy: {note}", err=True)


def settings_or_exit() -> Settings:
    # lazy: --help must not load the settings (pydantic)
    from bot.settings import load_settings

    try:
        return load_settings()
    except SettingsError as err:
        fail(str(err))


def home_or_exit(settings: Settings) -> Settings:
    """For commands that read or manage an existing home: never create a new one."""
    # lazy: --help must not load the home (the store)
    from bot.home import require_home

    try:
        require_home(settings)
    except SettingsError as err:
        fail(str(err))
    return settings


@contextmanager
def short_lived() -> Iterator[None]:
    """Around the body of a command that prints and exits (``deputy runs list``): no cyclic
    garbage collection, which walked the ~100 MB that importing the store makes again and
    again (~0.1-0.15 s of its CPU, docs/benchmarks.md); on again after it (a command run
    inside another process, as tests do, leaves the collector as it found it)."""
    import gc

    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def run_async(make: Callable[[], Awaitable[T]]) -> T:
    # lazy: --help never runs a loop, and asyncio is a noticeable part of its time
    import asyncio

    try:
        return asyncio.run(make())  # type: ignore[arg-type]
    except StartupError as err:  # settings, policy, manifest, database: one line, exit 2
        detail = getattr(err, "detail", "")
        fail(f"{err} ({detail})" if detail else str(err))


def run_refusable(make: Callable[[], Awaitable[T]]) -> T:
    """:func:`run_async`, and a request refused (no such team, a bad setting) is one line and
    exit status 1."""
    try:
        return run_async(make)
    except UserError as err:
        fail(str(err), 1)


def with_app(call: Callable[[Deputy], Awaitable[str]]) -> None:
    """Build Deputy for an existing home, print what ``call`` returns, close it. A request the
    core refuses (no such monitor, a schedule it cannot read) is one line and exit status 1,
    so a script can tell it failed."""
    # lazy: --help must not load the application
    from bot.app import build_app

    settings = home_or_exit(settings_or_exit())

    async def main() -> str:
        deputy = await build_app(settings)
        try:
            return await call(deputy)
        finally:
            await deputy.close()

    try:
        typer.echo(run_async(main))
    except UserError as err:
        fail(str(err), code=1)


def configure_logging(settings: Settings) -> None:
    """Text or JSON lines on stderr, always through the redactor."""
    # lazy: --help must not set up logging
    from bot.logsetup import configure_logging as setup

    setup(settings.log_level, settings.log_format)
