"""``deputy audit``: verify, re-sign and export the hash-chained audit log."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli.common import fail, group, home_or_exit, run_async, settings_or_exit

app = group("The hash-chained audit log.")

TEAM_HELP = "Only this team's chain (platform:team, e.g. slack:T0123), or `system` for records of no team."


@app.command("verify")
def audit_verify(
    head: Annotated[str | None, typer.Option("--head", help="A head hash saved earlier; fails if it is gone.")] = None,
    team: Annotated[str | None, typer.Option("--team", help=TEAM_HELP)] = None,
) -> None:
    """Check the audit log's keyed hash chains (one per team, one for records of no team):
    edited, removed, reordered or re-hashed records."""
    # lazy: --help must not load the store
    from bot.audit_cli import parse_team, verify_audit

    try:
        chain = parse_team(team)
    except ValueError as err:
        fail(str(err))
    settings = home_or_exit(settings_or_exit())
    report = run_async(lambda: verify_audit(settings, head, chain))
    typer.echo(report.summary())
    if not report.ok:
        raise typer.Exit(1)


@app.command("reseal")
def audit_reseal() -> None:
    """Check the chain, then sign every record with the active master key's audit key
    (once after upgrading from an unkeyed log; after a key rotation, before retiring the old key)."""
    # lazy: --help must not load the store
    from bot.audit_cli import reseal_audit

    settings = settings_or_exit()
    try:
        count = run_async(lambda: reseal_audit(settings))
    except ValueError as err:
        fail(str(err))
    typer.echo(f"audit log re-signed: {count} records")


@app.command("export")
def audit_export(
    since: Annotated[str | None, typer.Option("--since", help="ISO date or date-time (UTC if no offset).")] = None,
    team: Annotated[str | None, typer.Option("--team", help=TEAM_HELP)] = None,
) -> None:
    """Write the audit log (or one team's chain) as JSON Lines to stdout."""
    # lazy: --help must not load the store
    from bot.audit_cli import export_audit, parse_since, parse_team

    settings = home_or_exit(settings_or_exit())
    try:
        start = parse_since(since) if since else None
        chain = parse_team(team)
    except ValueError as err:
        fail(str(err))
    run_async(lambda: export_audit(settings, start, sys.stdout, chain))
