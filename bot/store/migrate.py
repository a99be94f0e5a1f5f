"""Applies Alembic migrations shipped with Deputy (see :mod:`bot.bundled`; no alembic.ini needed).

Every command that opens the embedded database makes sure it is migrated. Alembic's
machinery (alembic, mako, its environment script) costs a few hundred milliseconds to load,
so :func:`upgrade_if_needed` first compares the revisions stored in ``alembic_version``
with the head revisions written in the migration files, and runs Alembic only when they
differ: once per database version, not once per command.
"""

from __future__ import annotations

import ast
import asyncio
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError

from bot.bundled import migrations_folder
from bot.errors import DatabaseUnavailable
from bot.store.database import Database, async_url

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


def _assigned(tree: ast.Module, name: str) -> object:
    for node in tree.body:
        target: ast.expr
        value: ast.expr | None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == name and value is not None:
            return ast.literal_eval(value)
    raise ValueError(f"no {name} = … in the migration")


def _as_set(value: object) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    if isinstance(value, (tuple, list)):
        return {str(v) for v in value}
    raise ValueError(f"not a revision: {value!r}")


def head_revisions_in(folder: Path) -> frozenset[str]:
    """The head revisions of the migration scripts in ``folder``/versions, read as text
    (``revision`` and ``down_revision`` literals) without importing Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in sorted((folder / "versions").glob("*.py")):
        tree = ast.parse(script.read_text(encoding="utf-8"), filename=str(script))
        revisions |= _as_set(_assigned(tree, "revision"))
        parents |= _as_set(_assigned(tree, "down_revision"))
    return frozenset(revisions - parents)


@cache
def head_revisions() -> frozenset[str]:
    return head_revisions_in(migrations_folder())


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
