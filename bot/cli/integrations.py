"""``deputy integrations``: check and list the integrations' manifests."""

from __future__ import annotations

import typer

from bot.cli.common import fail, group, settings_or_exit
from bot.errors import ManifestError

app = group("Integrations and their manifests.")


@app.command("check")
def integrations_check() -> None:
    """Validate every integration's manifest against its actions (run it in CI)."""
    # lazy: --help must not import the integrations
    from bot.registry import discover

    settings = settings_or_exit()
    try:
        registry = discover(None, settings.integration_paths)
    except ManifestError as err:
        fail(str(err), 1)
    for manifest in registry.manifests():
        typer.echo(f"✓ {manifest.name}: {len(manifest.actions)} actions ({manifest.auth})")


@app.command("list")
def integrations_list() -> None:
    """List integrations and their actions with effects."""
    # lazy: --help must not import the integrations
    from bot.registry import discover

    for manifest in discover(None, settings_or_exit().integration_paths).manifests():
        typer.echo(f"{manifest.name} — {manifest.description}")
        for action in manifest.actions:
            undo = f" (undo: {action.undo})" if action.undo else ""
            typer.echo(f"  {manifest.name}.{action.name:<22} {action.effect.value:<11}{undo}")
