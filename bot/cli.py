"""The ``deputy`` command.

It must start at once (``deputy --help`` well under a second), so this module imports only
typer and the error vocabulary; each command's body imports what it needs (settings,
asyncio, the database, the adapters). bench/bench_startup.py measures it.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from bot.errors import DatabaseUnavailable, SettingsError

if TYPE_CHECKING:
    from bot.settings import Settings

app = typer.Typer(help="Deputy: plans what you ask in chat, asks for approval, then does it.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data for the embedded default.", no_args_is_help=True)
runs_app = typer.Typer(help="What ran, step by step.", no_args_is_help=True)
policy_app = typer.Typer(help="The sandbox contract (policies/).", no_args_is_help=True)
integrations_app = typer.Typer(help="Integrations and their manifests.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(runs_app, name="runs")
app.add_typer(policy_app, name="policy")
app.add_typer(integrations_app, name="integrations")
keys_app = typer.Typer(help="Master keys of the credential vault.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

T = TypeVar("T")


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"deputy: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    from bot.settings import load_settings

    try:
        return load_settings()
    except SettingsError as err:
        fail(str(err))
        raise AssertionError from err


def run_async(make: Callable[[], Awaitable[T]]) -> T:
    import asyncio

    try:
        return asyncio.run(make())  # type: ignore[arg-type]
    except SettingsError as err:
        fail(str(err))
    except DatabaseUnavailable as err:
        fail(str(err))
    raise AssertionError("unreachable")


def announce(note: str) -> None:
    typer.echo(f"deputy: {note}", err=True)


def home_or_exit(settings: Settings) -> Settings:
    """For commands that read or manage an existing home: never create a new one."""
    from bot.home import require_home

    try:
        require_home(settings)
    except SettingsError as err:
        fail(str(err))
    return settings


def configure_logging(settings: Settings) -> None:
    """Text or JSON lines on stderr, always through the redactor."""
    from bot.logsetup import configure_logging as setup

    setup(settings.log_level, settings.log_format)


@app.command()
def shell(
    user: Annotated[str, typer.Option(help="Your name in the conversation.")] = "",
) -> None:
    """Chat with Deputy in the terminal (the embedded default: no account needed)."""
    import logging

    from bot.adapters.shell.terminal import run_shell

    settings = settings_or_exit()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    run_async(lambda: run_shell(settings, user or None, on_new_home=announce))


HealthHost = Annotated[str, typer.Option("--host", help="Interface for the health routes.")]
HealthPort = Annotated[int | None, typer.Option(
    "--port", help="Serve /healthz, /readyz and /metrics on this port (none without it).")]


@app.command()
def worker(host: HealthHost = "127.0.0.1", port: HealthPort = None) -> None:
    """Execute approved runs (several workers may share one PostgreSQL database)."""
    from bot.processes import run_worker

    settings = settings_or_exit()
    configure_logging(settings)
    run_async(lambda: run_worker(settings, host, port))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port (Slack events, /healthz, /readyz).")] = 8080,
    worker: Annotated[bool, typer.Option("--worker/--no-worker", help="Run a worker in this process.")] = True,
    scheduler: Annotated[bool, typer.Option("--scheduler/--no-scheduler", help="Fire monitors in this process.")] = True,
    platforms: Annotated[str | None, typer.Option(
        help="Platforms whose events this process receives, e.g. `slack` (default: every configured "
             "one). The others are still posted to.")] = None,
) -> None:
    """Run everything configured in one process: HTTP, Slack, Discord, a worker and the scheduler."""
    from bot.platforms import parse_platforms
    from bot.serve import serve as run_serve

    settings = settings_or_exit()
    try:
        receive = parse_platforms(platforms, settings)
    except SettingsError as err:
        fail(str(err))
        raise AssertionError from err
    configure_logging(settings)
    run_async(lambda: run_serve(settings, host, port, with_worker=worker, with_scheduler=scheduler,
                                platforms=receive, on_new_home=announce))


@app.command()
def discord(host: HealthHost = "127.0.0.1", port: HealthPort = None) -> None:
    """Run the Discord gateway connection alone (approved runs go to `deputy worker`)."""
    from bot.serve import run_discord_only

    settings = settings_or_exit()
    configure_logging(settings)
    run_async(lambda: run_discord_only(settings, host, port))


slack_app = typer.Typer(help="Slack app set-up.", no_args_is_help=True)
app.add_typer(slack_app, name="slack")


@slack_app.command("manifest")
def slack_manifest(
    url: Annotated[str | None, typer.Option(help="Public HTTPS base URL of `deputy serve`.")] = None,
    socket_mode: Annotated[bool, typer.Option("--socket-mode", help="No public URL: use Socket Mode.")] = False,
    name: Annotated[str, typer.Option(help="The app's name in Slack.")] = "Deputy",
) -> None:
    """Print a ready Slack app manifest to paste at api.slack.com/apps."""
    from bot.adapters.slack.manifest import manifest_yaml

    try:
        typer.echo(manifest_yaml(url, socket_mode=socket_mode, name=name))
    except ValueError as err:
        fail(str(err))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
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
def demo_seed() -> None:
    """Load a small demo team: people, clients, time entries, overdue invoices, a busy calendar."""
    from bot.app import build_app
    from integrations.local.demo import seed

    settings = settings_or_exit()

    async def main() -> dict[str, int]:
        deputy = await build_app(settings, on_new_home=announce)
        try:
            today = deputy.clock().date()
            return await seed(deputy.database, today)
        finally:
            await deputy.close()

    try:
        counts = run_async(main)
    except Exception as err:  # noqa: BLE001 - shown as one line, e.g. "already loaded"
        fail(str(err), 1)
        return
    typer.echo("Demo data loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    typer.echo("Try `deputy shell` and ask: chase overdue invoices")


@runs_app.command("list")
def runs_list(as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False) -> None:
    """List recent runs."""
    from bot.runs_report import list_runs_report

    settings = home_or_exit(settings_or_exit())
    run_async(lambda: list_runs_report(settings, as_json))


@runs_app.command("show")
def runs_show(run_id: int, as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False) -> None:
    """Show one run step by step: arguments, results, timing, planning tokens."""
    from bot.runs_report import show_run_report

    settings = home_or_exit(settings_or_exit())
    if not run_async(lambda: show_run_report(settings, run_id, as_json)):
        fail(f"there is no run {run_id}", 1)


@policy_app.command("check")
def policy_check(files: Annotated[list[Path] | None, typer.Argument(help="Policy files; default: the configured one.")] = None) -> None:
    """Validate policy files with line-numbered errors (run it in CI)."""
    from bot.policy import check_files

    code, text = check_files(files or [settings_or_exit().resolved_policy_file])
    typer.echo(text, err=bool(code))
    raise typer.Exit(code)


@policy_app.command("explain")
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
    from bot.policy import explain_command
    from bot.registry import discover

    settings = settings_or_exit()
    code, text = explain_command(settings.resolved_policy_file, as_user, action, args,
                                 discover(None, settings.integration_paths),
                                 groups=group or (), channel=channel, plan_json=plan)
    typer.echo(text, err=bool(code))
    raise typer.Exit(code)


@integrations_app.command("check")
def integrations_check() -> None:
    """Validate every integration's manifest against its actions (run it in CI)."""
    from bot.errors import ManifestError
    from bot.registry import discover

    settings = settings_or_exit()
    try:
        registry = discover(None, settings.integration_paths)
    except ManifestError as err:
        fail(str(err), 1)
        return
    for manifest in registry.manifests():
        typer.echo(f"✓ {manifest.name}: {len(manifest.actions)} actions ({manifest.auth})")


@integrations_app.command("list")
def integrations_list() -> None:
    """List integrations and their actions with effects."""
    from bot.registry import discover

    for manifest in discover(None, settings_or_exit().integration_paths).manifests():
        typer.echo(f"{manifest.name} — {manifest.description}")
        for action in manifest.actions:
            undo = f" (undo: {action.undo})" if action.undo else ""
            typer.echo(f"  {manifest.name}.{action.name:<22} {action.effect.value:<11}{undo}")


async def _vault(settings: Settings) -> tuple[Any, Any]:
    from bot.store.migrate import open_database
    from bot.vault import load_keyring

    master = settings.master_key.get_secret_value() if settings.master_key else None
    return await open_database(settings), await load_keyring(settings.home, master)


@keys_app.command("list")
def keys_list() -> None:
    """Key ids, which one is active, and how many credentials each protects."""
    from bot.vault import list_keys

    settings = home_or_exit(settings_or_exit())

    async def main() -> list[Any]:
        db, keyring = await _vault(settings)
        try:
            return await list_keys(db, keyring)
        finally:
            await db.dispose()

    for key in run_async(main):
        flags = ", ".join(f for f, on in (("active", key.active), ("configured", key.configured)) if on)
        typer.echo(f"{key.key_id:<8} {key.credentials:>6} credentials  {flags or 'NOT configured'}")


@keys_app.command("rotate")
def keys_rotate(batch_size: Annotated[int, typer.Option(min=1, help="Credentials per transaction.")] = 500) -> None:
    """Rewrap every credential's data key under the newest master key (safe to re-run)."""
    from bot.vault import rotate

    settings = home_or_exit(settings_or_exit())

    async def main() -> str:
        db, keyring = await _vault(settings)
        try:
            report = await rotate(db, keyring, batch_size=batch_size)
            return str(report.summary())
        finally:
            await db.dispose()

    typer.echo(run_async(main))


@keys_app.command("retire")
def keys_retire(key_id: str) -> None:
    """Forget an old master key; refused while any credential still needs it."""
    from bot.errors import UserError
    from bot.vault import KeyInUse, retire

    settings = home_or_exit(settings_or_exit())

    async def main() -> str:
        db, keyring = await _vault(settings)
        try:
            return await retire(db, keyring, key_id)
        finally:
            await db.dispose()

    try:
        typer.echo(run_async(main))
    except (KeyInUse, UserError) as err:
        fail(str(err), 1)



planner_app = typer.Typer(help="The planner backend (DEPUTY_PLANNER).", no_args_is_help=True)
app.add_typer(planner_app, name="planner")


@planner_app.command("check")
def planner_check() -> None:
    """Send one tiny planning request; print model, latency and whether tool calling works."""
    from bot.planner_check import check_planner

    settings = settings_or_exit()
    report = run_async(lambda: check_planner(settings))
    for line in report.lines():
        typer.echo(line)
    if not report.tool_calling:
        raise typer.Exit(1)


audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    head: Annotated[str | None, typer.Option("--head", help="A head hash saved earlier; fails if it is gone.")] = None,
) -> None:
    """Check the audit log's keyed hash chain: edited, removed, reordered or re-hashed records."""
    from bot.audit_cli import verify_audit

    settings = home_or_exit(settings_or_exit())
    report = run_async(lambda: verify_audit(settings, head))
    typer.echo(report.summary())
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("reseal")
def audit_reseal() -> None:
    """Check the chain, then sign every record with the active master key's audit key
    (once after upgrading from an unkeyed log; after a key rotation, before retiring the old key)."""
    from bot.audit_cli import reseal_audit

    settings = settings_or_exit()
    try:
        count = run_async(lambda: reseal_audit(settings))
    except ValueError as err:
        fail(str(err))
        return
    typer.echo(f"audit log re-signed: {count} records")


@audit_app.command("export")
def audit_export(
    since: Annotated[str | None, typer.Option("--since", help="ISO date or date-time (UTC if no offset).")] = None,
) -> None:
    """Write the audit log as JSON Lines to stdout."""
    from bot.audit_cli import export_audit, parse_since

    settings = home_or_exit(settings_or_exit())
    try:
        start = parse_since(since) if since else None
    except ValueError as err:
        fail(str(err))
        return
    run_async(lambda: export_audit(settings, start, sys.stdout))



monitors_app = typer.Typer(help="Scheduled monitors and their digests.", no_args_is_help=True)
app.add_typer(monitors_app, name="monitors")


@app.command()
def scheduler(host: HealthHost = "127.0.0.1", port: HealthPort = None) -> None:
    """Fire monitors on schedule (on PostgreSQL several may run: one leads, the rest stand by)."""
    from bot.processes import run_scheduler

    settings = settings_or_exit()
    configure_logging(settings)
    run_async(lambda: run_scheduler(settings, host, port))


def _with_app(call: Callable[[Any], Awaitable[str]]) -> None:
    from bot.app import build_app

    settings = home_or_exit(settings_or_exit())

    async def main() -> str:
        deputy = await build_app(settings)
        try:
            return await call(deputy)
        finally:
            await deputy.close()

    typer.echo(run_async(main))


@monitors_app.command("list")
def monitors_list(channel: Annotated[str | None, typer.Option(help="platform:channel_id")] = None) -> None:
    """List monitors with their schedule and next run."""
    from bot.scheduling import cli as monitors

    platform, _, channel_id = (channel or "").partition(":")
    _with_app(lambda d: monitors.monitors_list(d, platform or None, channel_id or None))


@monitors_app.command("pause")
def monitors_pause(monitor_id: int) -> None:
    """Stop a monitor firing until resumed."""
    from bot.scheduling import cli as monitors

    _with_app(lambda d: monitors.monitors_pause(d, monitor_id))


@monitors_app.command("resume")
def monitors_resume(monitor_id: int) -> None:
    """Resume a paused monitor."""
    from bot.scheduling import cli as monitors

    _with_app(lambda d: monitors.monitors_resume(d, monitor_id))


@monitors_app.command("run")
def monitors_run(monitor_id: int) -> None:
    """Queue a monitor's run now (a worker executes it)."""
    from bot.scheduling import cli as monitors

    _with_app(lambda d: monitors.monitors_run(d, monitor_id))


@monitors_app.command("delete")
def monitors_delete(monitor_id: int) -> None:
    """Delete a monitor."""
    from bot.scheduling import cli as monitors

    _with_app(lambda d: monitors.monitors_delete(d, monitor_id))


@monitors_app.command("schedule")
def monitors_schedule(
    monitor_id: int,
    every: Annotated[int, typer.Option(help="Interval in seconds.")] = 0,
    cron: Annotated[str | None, typer.Option(help='Cron fields, e.g. "day_of_week=mon,hour=10".')] = None,
) -> None:
    """Change a monitor's schedule."""
    from bot.scheduling import cli as monitors

    if not every and not cron:
        fail("give --every SECONDS or --cron FIELDS")
    try:
        fields = dict(kv.split("=", 1) for kv in cron.split(",")) if cron else None
    except ValueError:
        fail(f"--cron {cron!r} must be comma-separated key=value fields")
        return
    _with_app(lambda d: monitors.monitors_schedule(d, monitor_id, every_seconds=every, cron=fields))


@monitors_app.command("add")
def monitors_add(
    name: str,
    action: Annotated[str, typer.Argument(help="A read action, e.g. local.list_invoices.")],
    target: Annotated[str, typer.Argument(help="platform:channel_id, e.g. slack:C0FINANCE.")],
    every: Annotated[int, typer.Option(help="Interval in seconds.")] = 0,
    cron: Annotated[str | None, typer.Option(help='Cron fields, e.g. "day_of_week=mon,hour=9".')] = None,
    condition: Annotated[str, typer.Option(help="always, non_empty or changed.")] = "always",
    line: Annotated[list[str] | None, typer.Option(help="Digest template line (repeatable).")] = None,
) -> None:
    """Add a one-step monitor (approved at once: the operator is trusted)."""
    from bot.scheduling import cli as monitors

    if not every and not cron:
        fail("give --every SECONDS or --cron FIELDS")
    try:
        fields = dict(kv.split("=", 1) for kv in cron.split(",")) if cron else None
    except ValueError:
        fail(f"--cron {cron!r} must be comma-separated key=value fields")
        return
    _with_app(lambda d: monitors.monitors_add(d, name, action, target, every_seconds=every, cron=fields,
                                              condition=condition, template=line))


def main() -> None:
    app()


