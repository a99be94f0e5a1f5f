"""Knows every module that defines tables, so migrations and tests see the whole schema."""

from __future__ import annotations

import importlib
from pathlib import Path

from sqlmodel import SQLModel

# every bot/store module that defines tables; a new one must be added here
TABLE_MODULES = (
    "bot.store.tables",
    "bot.store.credentials",
    "bot.store.memories",
    "bot.store.memory_proposals",
    "bot.store.memory_search",  # no table: the memories' full-text index, created with them
    "bot.store.episodes",
    "bot.store.monitors",
    "bot.store.oauth_states",
    "bot.store.previews",
    "bot.store.reminders",
    "bot.store.autopilot_records",
    "bot.store.team_policies",
    "bot.store.teams",
    "bot.store.slack_installs",
    "bot.store.inbox",
    "bot.store.console_sessions",
    "bot.store.audit_checkpoint",
)


def import_all_tables() -> type[SQLModel]:
    """Import the core's tables and every ``integrations/<name>/tables.py``."""
    import integrations

    for module in TABLE_MODULES:
        importlib.import_module(module)
    root = Path(integrations.__file__).parent
    for tables in sorted(root.glob("*/tables.py")):
        importlib.import_module(f"integrations.{tables.parent.name}.tables")
    return SQLModel
