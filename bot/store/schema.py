"""Knows every module that defines tables, so migrations and tests see the whole schema."""

from __future__ import annotations

import importlib
from pathlib import Path

from sqlmodel import SQLModel


def import_all_tables() -> type[SQLModel]:
    """Import the core's tables and every ``integrations/<name>/tables.py``."""
    import integrations

    importlib.import_module("bot.store.tables")
    for extra in ("bot.store.credentials", "bot.store.monitors", "bot.store.oauth_states",
                  "bot.store.trust", "bot.store.previews", "bot.store.reminders"):
        try:
            importlib.import_module(extra)
        except ModuleNotFoundError as err:
            if err.name != extra:
                raise
    root = Path(integrations.__file__).parent
    for tables in sorted(root.glob("*/tables.py")):
        importlib.import_module(f"integrations.{tables.parent.name}.tables")
    return SQLModel
