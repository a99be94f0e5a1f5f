"""``deputy slack``: Slack app set-up."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import fail, group

app = group("Slack app set-up.")


@app.command("manifest")
def slack_manifest(
    url: Annotated[str | None, typer.Option(help="Public HTTPS base URL of `deputy serve`.")] = None,
    socket_mode: Annotated[bool, typer.Option("--socket-mode", help="No public URL: use Socket Mode.")] = False,
    name: Annotated[str, typer.Option(help="The app's name in Slack.")] = "Deputy",
) -> None:
    """Print a ready Slack app manifest to paste at api.slack.com/apps."""
    # lazy: --help must not load the Slack adapter
    from bot.adapters.slack.manifest import manifest_yaml

    try:
        typer.echo(manifest_yaml(url, socket_mode=socket_mode, name=name))
    except ValueError as err:
        fail(str(err))
