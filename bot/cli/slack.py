"""``deputy slack``: Slack app set-up."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import AsJson, fail, group, home_or_exit, run_async, settings_or_exit

app = group("Slack app set-up, and the workspaces that installed it.")


@app.command("manifest")
def slack_manifest(
    url: Annotated[str | None, typer.Option(help="Public HTTPS base URL of `deputy serve`.")] = None,
    socket_mode: Annotated[bool, typer.Option("--socket-mode", help="No public URL: use Socket Mode.")] = False,
    name: Annotated[str, typer.Option(help="The app's name in Slack.")] = "Deputy",
    distributed: Annotated[bool, typer.Option(
        "--distributed", help='"Add to Slack" for many workspaces: OAuth redirect URL, org install.')] = False,
    token_rotation: Annotated[bool, typer.Option(
        "--token-rotation", help="With --distributed: bot tokens expire and are refreshed.")] = False,
    sign_in: Annotated[bool, typer.Option(
        "--sign-in", help="'Sign in with Slack' to the web console for a one-workspace app "
                          "(--distributed includes it).")] = False,
) -> None:
    """Print a ready Slack app manifest to paste at api.slack.com/apps."""
    # lazy: --help must not load the Slack adapter
    from bot.adapters.slack.manifest import manifest_yaml

    try:
        typer.echo(manifest_yaml(url, socket_mode=socket_mode, name=name, distributed=distributed,
                                 token_rotation=token_rotation, sign_in=sign_in))
    except ValueError as err:
        fail(str(err))


@app.command("installations")
def slack_installations(as_json: AsJson = False) -> None:
    """The workspaces and Enterprise Grid orgs that installed Deputy ("Add to Slack"): team,
    name, org or workspace install, when, and when a rotating bot token expires. No tokens."""
    from bot.cli.slack_actions import list_installations  # lazy: --help must not load the store

    typer.echo(run_async(lambda: list_installations(home_or_exit(settings_or_exit()), as_json)))
