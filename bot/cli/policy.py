"""``deputy policy``: check policy files, explain a decision."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import group, settings_or_exit

app = group("The sandbox contract (policies/).")


@app.command("check")
def policy_check(files: Annotated[list[Path] | None, typer.Argument(help="Policy files; default: the configured one.")] = None) -> None:
    """Validate policy files with line-numbered errors (run it in CI)."""
    # lazy: --help must not load the policy (pydantic)
    from bot.policy import check_files

    code, text = check_files(files or [settings_or_exit().resolved_policy_file])
    typer.echo(text, err=bool(code))
    raise typer.Exit(code)


@app.command("explain")
def policy_explain(
    as_user: Annotated[str, typer.Option("--as", help="platform:team:user, or a shell user name.")],
    action: Annotated[str | None, typer.Option(help="integration.action")] = None,
    args: Annotated[str, typer.Option(help="JSON object of arguments.")] = "{}",
    plan: Annotated[str | None, typer.Option(
        help='A whole plan as JSON, [{"action": ..., "args": {...}}, ...]: every step is explained, '
             "totals (sum(...), count(...)) over all of them.")] = None,
    group: Annotated[list[str] | None, typer.Option(help="A platform group of the user (repeatable).")] = None,
    channel: Annotated[str | None, typer.Option(help="Channel id.")] = None,
) -> None:
    """Show which rule decides a step, its verdict and why."""
    # lazy: --help must not load the policy or the integrations
    from bot.policy import explain_command
    from bot.registry import discover

    settings = settings_or_exit()
    code, text = explain_command(settings.resolved_policy_file, as_user, action, args,
                                 discover(None, settings.integration_paths),
                                 groups=group or (), channel=channel, plan_json=plan)
    typer.echo(text, err=bool(code))
    raise typer.Exit(code)
