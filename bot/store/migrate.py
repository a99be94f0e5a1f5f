"""Applies Alembic migrations shipped with Deputy (see :mod:`bot.bundled`; no alembic.ini needed).

Every command that opens the embedded database makes sure it is migrated. Alembic's
machinery (alembic, mako, its environment script) costs a few hundred milliseconds to load,
so :func:`upgrade_if_needed` first compares the revisions stored in ``alembic_version``
with the head revisions written in the migration files, and runs Alembic only when they
differ: once per database version, not once per command.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError

from bot.bundled import migrations_folder
from bot.errors import DatabaseUnavailable
from bot.store.database import Database, async_url
from bot.store.schema_version import head_revisions, head_revisions_in

__all__ = ["head_revisions", "head_revisions_in", "open_database", "upgrade_if_needed"]

if TYPE_CHECKING:
    from alembic.config import Config

    from bot.settings import Settings

def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    config.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    return config


async def check_reachable(url: str) -> None:
    """Connect once, so an unreachable database is one line naming DEPUTY_DATABASE_URL
    instead of a driver traceback from deep inside Alembic."""
    database = Database(url)
    try:
        async with database.engine.connect():
            pass
    except (DBAPIError, OSError) as err:
        reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        plain = make_url(database.url)
        shown = plain.set(drivername=plain.get_backend_name()).render_as_string(hide_password=True)
        raise DatabaseUnavailable(
            f"DEPUTY_DATABASE_URL: cannot connect to {shown} ({reason}); check that the server "
            "runs and that the URL's host, port, user and database are right") from None
    finally:
        await database.dispose()


def _upgrade(url: str, revision: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database to ``revision``. Alembic is synchronous: run it off the loop."""
    await asyncio.to_thread(_upgrade, url, revision)


async def stored_revisions(database: Database) -> frozenset[str]:
    """The revisions ``alembic_version`` records; empty for a database never migrated."""
    async with database.engine.connect() as connection:
        exists = await connection.run_sync(
            lambda sync: sync.dialect.has_table(sync, "alembic_version"))
        if not exists:
            return frozenset()
        rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
        return frozenset(str(row[0]) for row in rows)


async def upgrade_if_needed(database: Database) -> bool:
    """Run Alembic only when the stored revisions are not the heads; True when it ran."""
    if await stored_revisions(database) == head_revisions():
        return False
    await upgrade(database.url)
    return True


async def open_database(settings: Settings) -> Database:
    """The configured database, migrated first when it is the embedded SQLite default."""
    if settings.uses_embedded_database:
        settings.home.mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url)
    if settings.uses_embedded_database:
        try:
            await upgrade_if_needed(database)
        except BaseException:
            await database.dispose()
            raise
    return database


def _main(argv: list[str]) -> None:
    if len(argv) >= 2 and argv[0] == "revision":
        import tempfile

        from alembic import command

        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/autogen.db"
            command.upgrade(alembic_config(url), "head")
            command.revision(alembic_config(url), message=argv[1], autogenerate=True)
        return
    raise SystemExit("usage: python -m bot.store.migrate revision MESSAGE")


if __name__ == "__main__":
    _main(sys.argv[1:])
