"""Applies Alembic migrations shipped with Deputy (see :mod:`bot.bundled`; no alembic.ini needed)."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError

from bot.bundled import migrations_folder
from bot.errors import DatabaseUnavailable
from bot.store.database import Database, async_url

if TYPE_CHECKING:
    from bot.settings import Settings

def alembic_config(url: str) -> Config:
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


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database to ``revision``. Alembic is synchronous: run it off the loop."""
    await asyncio.to_thread(command.upgrade, alembic_config(url), revision)


async def open_database(settings: Settings) -> Database:
    """The configured database, migrated first when it is the embedded SQLite default."""
    if settings.uses_embedded_database:
        settings.home.mkdir(parents=True, exist_ok=True)
        await upgrade(settings.resolved_database_url)
    return Database(settings.resolved_database_url)


def _main(argv: list[str]) -> None:
    if len(argv) >= 2 and argv[0] == "revision":
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/autogen.db"
            command.upgrade(alembic_config(url), "head")
            command.revision(alembic_config(url), message=argv[1], autogenerate=True)
        return
    raise SystemExit("usage: python -m bot.store.migrate revision MESSAGE")


if __name__ == "__main__":
    _main(sys.argv[1:])
