"""``deputy keys``: the credential vault's master keys — list, rotate, retire."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot.cli.common import fail, group, home_or_exit, run_async, settings_or_exit
from bot.errors import UserError

if TYPE_CHECKING:
    from bot.store.database import Database
    from bot.vault.keyring import Keyring

app = group("Master keys of the credential vault.")

T = TypeVar("T")


def _with_vault(call: Callable[[Database, Keyring], Awaitable[T]]) -> T:
    """Open the existing home's database and keyring, run ``call(db, keyring)``, close."""
    # lazy: --help must not load the store or the vault
    from bot.store.migrate import open_database
    from bot.vault import load_keyring

    settings = home_or_exit(settings_or_exit())
    master = settings.master_key.get_secret_value() if settings.master_key else None

    async def main() -> T:
        db = await open_database(settings)
        try:
            return await call(db, await load_keyring(settings.home, master))
        finally:
            await db.dispose()

    return run_async(main)


@app.command("list")
def keys_list() -> None:
    """Key ids, which one is active, and how many credentials each protects."""
    # lazy: --help must not load the vault
    from bot.vault import list_keys

    for key in _with_vault(list_keys):
        flags = ", ".join(f for f, on in (("active", key.active), ("configured", key.configured)) if on)
        typer.echo(f"{key.key_id:<8} {key.credentials:>6} credentials  {flags or 'NOT configured'}")


@app.command("rotate")
def keys_rotate(batch_size: Annotated[int, typer.Option(min=1, help="Credentials per transaction.")] = 500) -> None:
    """Rewrap every credential's data key under the newest master key (safe to re-run)."""
    # lazy: --help must not load the vault
    from bot.vault import rotate

    async def main(db: Database, keyring: Keyring) -> str:
        report = await rotate(db, keyring, batch_size=batch_size)
        return str(report.summary())

    typer.echo(_with_vault(main))


@app.command("retire")
def keys_retire(key_id: Annotated[str, typer.Argument(help="The key to remove, e.g. k1 (`deputy keys list`).")]) -> None:
    """Forget an old master key; refused while any credential still needs it."""
    # lazy: --help must not load the vault
    from bot.vault import KeyInUse, retire

    try:
        typer.echo(_with_vault(lambda db, keyring: retire(db, keyring, key_id)))
    except (KeyInUse, UserError) as err:
        fail(str(err), 1)
