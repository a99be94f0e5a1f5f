"""DEPUTY_HOME: the folder holding the embedded SQLite database and the master key file.

Only the commands that start Deputy (`shell`, `serve`, `db upgrade`, `demo seed`) may create
a home, and they say so. The others read or manage what a home already holds; run in the
wrong folder they would silently start an empty database and a new master key, so they stop
and say where they looked.
"""

from __future__ import annotations

from pathlib import Path

from bot.errors import SettingsError
from bot.settings import Settings
from bot.settings.model import KEY_FILE_NAME

DATABASE_FILE_NAME = "deputy.db"


def home_files(settings: Settings) -> list[Path]:
    """The files this configuration keeps in DEPUTY_HOME (none with PostgreSQL and DEPUTY_MASTER_KEY)."""
    files = []
    if settings.uses_embedded_database:
        files.append(settings.home / DATABASE_FILE_NAME)
    if settings.master_key is None or not settings.master_key.get_secret_value().strip():
        files.append(settings.home / KEY_FILE_NAME)
    return files


def missing_home_files(settings: Settings) -> list[Path]:
    return [path for path in home_files(settings) if not path.exists()]


def require_home(settings: Settings) -> None:
    """Stop with one line when the home this command needs is not there."""
    missing = missing_home_files(settings)
    if missing:
        raise SettingsError(
            f"DEPUTY_HOME: no Deputy home at {settings.home.resolve()} (looked for "
            f"{', '.join(path.name for path in missing)}); run this in the folder where "
            "`deputy shell` or `deputy serve` ran, or set DEPUTY_HOME to that home. "
            "Nothing was created")


def new_home_note(settings: Settings, created: list[Path]) -> str:
    names = ", ".join(path.name for path in created)
    note = f"new Deputy home at {settings.home.resolve()} (created {names})"
    if any(path.name == KEY_FILE_NAME for path in created):
        note += f"; back up {KEY_FILE_NAME}: stored credentials cannot be read without it"
    return note
