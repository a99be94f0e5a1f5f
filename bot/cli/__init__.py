"""The ``deputy`` command: one module per command group (bot/cli/runs.py is ``deputy runs``…).

It must start at once (``deputy --help`` well under a second): this package imports only typer
and the error vocabulary, and each command's body imports what it needs (settings, asyncio,
the database, the adapters). tests/cli/test_help.py checks it; bench/bench_startup.py times it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli import (
    audit,
    db,
    integrations,
    keys,
    memory,
    monitors,
    planner,
    policy,
    runs,
    slack,
    start,
    teams,
)

app = typer.Typer(help="Deputy: plans what you ask in chat, asks for approval, then does it.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


def _print_version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version  # here: --help need not load it

        typer.echo(f"deputy {version('deputy-bot')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print Deputy's version and exit.")] = False,
) -> None:
    """Deputy: plans what you ask in chat, asks for approval, then does it."""


for _command in start.COMMANDS:
    app.command()(_command)
app.add_typer(db.app, name="db")
app.add_typer(db.demo_app, name="demo")
app.add_typer(runs.app, name="runs")
app.add_typer(policy.app, name="policy")
app.add_typer(integrations.app, name="integrations")
app.add_typer(keys.app, name="keys")
app.add_typer(slack.app, name="slack")
app.add_typer(planner.app, name="planner")
app.add_typer(audit.app, name="audit")
app.add_typer(monitors.app, name="monitors")
app.add_typer(memory.app, name="memory")
app.add_typer(teams.app, name="teams")



def _one_line_summaries(group: typer.Typer) -> None:
    """A command's line in its group's --help is its docstring's first paragraph as one line
    (typer kept the docstring's line breaks there: "…, after the same" / "checks as …")."""
    for info in group.registered_commands:
        doc = info.help or (info.callback.__doc__ if info.callback else None)
        if doc and info.short_help is None:
            info.short_help = " ".join(doc.strip().split("\n\n")[0].split())
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _one_line_summaries(sub.typer_instance)


_one_line_summaries(app)

__all__ = ["app", "main"]


def main() -> None:
    app()
