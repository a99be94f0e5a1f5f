"""``deputy db``: the database schema. ``deputy demo``: demo data for the embedded default."""

from __future__ import annotations

import typer

from bot.cli.common import announce, fail, group, run_async, settings_or_exit

app = group("Database schema.")
demo_app = group("Demo data for the embedded default.")


@app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    # lazy: --help must not load the home or the store
    from bot.home import DATABASE_FILE_NAME, missing_home_files, new_home_note
    from bot.store.migrate import check_reachable, upgrade

    settings = settings_or_exit()
    fresh = [p for p in missing_home_files(settings) if p.name == DATABASE_FILE_NAME]
    if settings.uses_embedded_database:
        settings.home.mkdir(parents=True, exist_ok=True)

    async def main() -> None:
        await check_reachable(settings.resolved_database_url)
        await upgrade(settings.resolved_database_url)

    run_async(main)
    if fresh:
        announce(new_home_note(settings, fresh))
    typer.echo("database is up to date")


@demo_app.command("seed")
def demo_seed(team: list[str] = typer.Option(  # noqa: B008 - typer's way of declaring an option
        [], "--team", help="A team (slack:T0123, discord:<guild id>) to load it for; repeat for several. "
                           "Default: the shell's team (shell:local).")) -> None:
    """Load a small demo team: people, clients, time entries, overdue invoices, a busy calendar."""
    # lazy: --help must not load the application
    from bot.app import build_app
    from bot.domain import LOCAL_TEAM
    from integrations.local.demo import loaded, seed

    settings = settings_or_exit()

    async def main() -> dict[str, int]:
        deputy = await build_app(settings, on_new_home=announce)
        try:
            today = deputy.clock().date()
            counts: dict[str, int] = {}
            for key in team or [LOCAL_TEAM]:
                if ":" not in key:
                    raise ValueError(f"--team {key!r}: a team is platform:team_id, e.g. slack:T0123")
                counts = await seed(deputy.database, today, team=key)
            return counts
        finally:
            await deputy.close()

    try:
        counts = run_async(main)
    except Exception as err:  # noqa: BLE001 - shown as one line, e.g. "already loaded"
        fail(str(err), 1)
    chats = [key for key in team or [] if key != LOCAL_TEAM]
    typer.echo(f"Demo data loaded{' for ' + ', '.join(team) if chats else ''}: {loaded(counts)}")
    if len(chats) < len(team or [LOCAL_TEAM]):
        typer.echo("Try `deputy shell` and ask: chase overdue invoices")
    if chats:
        where = "that team's chat" if len(chats) == 1 else "those teams' chats"
        typer.echo(f"Try it in {where}: @Deputy chase overdue invoices (not in `deputy shell`, whose team is "
                   f"{LOCAL_TEAM})")
