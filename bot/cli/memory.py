"""``deputy memory``: the team memory for an operator — list, export, forget, import (issue 19).

Per person (``--person slack:T1:U1``, the actor key shown by ``list``): export everything that
person taught or that is theirs, or erase it for a privacy request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import AsJson, fail, group, home_or_exit, run_async, settings_or_exit

app = group("Team memory: list, export, forget, import.")
Person = Annotated[str, typer.Option("--person", help="an actor key, e.g. slack:T1:U1")]


@app.command("list")
def memory_list(person: Person = "", history: Annotated[bool, typer.Option(
        "--history", help="also superseded, forgotten and expired memories")] = False,
        as_json: AsJson = False) -> None:
    """List the memories of every team (live ones unless --history)."""
    from bot.cli.memory_actions import list_memories  # lazy: --help must not load the store

    typer.echo(run_async(lambda: list_memories(home_or_exit(settings_or_exit()), person, history, as_json)))


@app.command("export")
def memory_export(person: Person) -> None:
    """Print, as JSON, every memory a person taught or that is theirs, history included."""
    from bot.cli.memory_actions import list_memories

    typer.echo(run_async(lambda: list_memories(home_or_exit(settings_or_exit()), person, True, True)))


@app.command("forget")
def memory_forget(memory_id: Annotated[int | None, typer.Argument(help="The memory's number (`deputy memory list`).")] = None, person: Person = "") -> None:
    """Forget one memory (ID), or erase every memory of a person (--person), history included."""
    from bot.cli.memory_actions import erase_person, forget_one

    if (memory_id is None) == (not person):
        fail("give a memory ID or --person ACTOR_KEY (not both)")
    settings = home_or_exit(settings_or_exit())
    said = run_async(lambda: erase_person(settings, person) if person else forget_one(settings, memory_id or 0))
    if said.startswith("There is no"):
        fail(said, 1)
    typer.echo(said)


@app.command("import")
def memory_import(path: Annotated[Path, typer.Argument(help="A JSON file from `deputy memory export` or `list --json`.")]) -> None:
    """Add the memories of a JSON file written by `deputy memory export` or `list --json`."""
    from bot.cli.memory_actions import import_memories
    from bot.errors import UserError

    settings = home_or_exit(settings_or_exit())
    try:
        typer.echo(run_async(lambda: import_memories(settings, path)))
    except UserError as err:
        fail(str(err), 1)
