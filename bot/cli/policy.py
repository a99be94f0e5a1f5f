"""``deputy policy``: check policy files, explain a decision, set and show a team's policy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import fail, group, settings_or_exit, with_app

if TYPE_CHECKING:
    from bot.core.deputy import Deputy
    from bot.policy.teams import Resolved

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
    team: Annotated[str | None, typer.Option(help=TEAM_HELP + " Its policy decides; a bare --as is its user.")] = None,
) -> None:
    """Show which rule decides a step, its verdict and why."""
    # lazy: --help must not load the policy or the integrations
    from bot.policy import explain_command
    from bot.registry import discover

    settings = settings_or_exit()
    if team is not None:
        async def explain_team(app: Deputy) -> str:
            resolved = await _team_policy(app, team)
            code, text = explain_command(resolved.policy, as_user, action, args, app.registry, groups=group or (),
                                         channel=channel, plan_json=plan, team=team)
            if code:
                fail(text.removeprefix("✗ "), code)
            return f"team {team}, policy: {resolved.source}\n{text}"

        with_app(explain_team)
        return
    code, text = explain_command(settings.resolved_policy_file, as_user, action, args,
                                 discover(None, settings.integration_paths),
                                 groups=group or (), channel=channel, plan_json=plan)
    typer.echo(text, err=bool(code))
    raise typer.Exit(code)


TEAM_HELP = "A team: platform:team, e.g. slack:T0123, discord:81234, shell:local."


async def _team_policy(app: Deputy, team: str) -> Resolved:
    """The team's policy and where it comes from; a bad key or an invalid stored or file
    policy is one line (exit 1)."""
    # lazy: --help must not load the policy
    from bot.errors import PolicyError, UserError
    from bot.policy.teams import check_team_key

    try:
        return await app.policies.resolve(check_team_key(team))
    except PolicyError as err:
        raise UserError(str(err)) from None


@app.command("set")
def policy_set(
    team: Annotated[str, typer.Option(help=TEAM_HELP)],
    file: Annotated[Path, typer.Argument(help="The team's policy YAML.", exists=True, dir_okay=False)],
) -> None:
    """Store FILE as the team's policy (a new version; the history is kept), after the same
    checks as `deputy policy check`; an invalid file changes nothing."""
    # lazy: --help must not load the policy or the application
    from bot.cli.memory_actions import operator
    from bot.errors import PolicyError
    from bot.policy import check_files
    from bot.policy.teams import check_team_key

    try:
        check_team_key(team)
    except PolicyError as err:
        fail(str(err))
    code, text = check_files([file])
    if code:
        fail(f"{text.removeprefix('✗ ')}\nThe policy of {team} was not changed.", code)

    async def store(app: Deputy) -> str:
        version = await app.policies.set(team, file.read_text(), operator(), str(file))
        return f"✓ {team}: policy version {version} set from {file} (audited)"

    with_app(store)


@app.command("show")
def policy_show(
    team: Annotated[str, typer.Option(help=TEAM_HELP)],
    history: Annotated[bool, typer.Option("--history", help="Every version set, oldest first.")] = False,
) -> None:
    """Print the policy that decides for the team: where it comes from (stored version, file,
    or the default) and its YAML."""
    async def show(app: Deputy) -> str:
        # lazy: --help must not load the store
        import asyncio

        from bot.store import team_policies

        resolved = await _team_policy(app, team)
        if history:
            async with app.database.session(team=team) as session:
                rows = await team_policies.history(session, team)
            lines = [f"v{r.version}  {r.set_at:%Y-%m-%d %H:%M} UTC  by {r.set_by}" for r in rows]
            return "\n".join(lines) or f"{team} has no stored policy; in force: {resolved.source}"
        if resolved.version:
            async with app.database.session(team=team) as session:
                row = await team_policies.latest(session, team)
            text = row.yaml if row is not None else ""
        else:  # a file: the team's, or the default policy's
            text = await asyncio.to_thread(Path(resolved.policy.source).read_text)
        return f"# team {team}, policy: {resolved.source}\n{text.rstrip()}"

    with_app(show)
