"""Keys of each provider's shape, and where a leaked one would show: the database (SQLite file
bytes, PostgreSQL rows), the audit export, the JSON log at DEBUG and every message posted.

The keys are made here, not copied from anywhere: random characters in the provider's
format, so each is what a person could paste by mistake.
"""

from __future__ import annotations

import contextlib
import io
import logging
import random
import string
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlmodel import SQLModel

from bot.logsetup import log_handler
from bot.store.audit_verify import export
from bot.store.database import Database

_rng = random.Random(1606)
_ALNUM = string.ascii_letters + string.digits


def _chars(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def _hex(n: int) -> str:
    return _chars(n, "0123456789abcdef")


KEYS: dict[str, str] = {
    "anthropic": "sk-ant-api03-" + _chars(40),
    "stripe secret": "sk_live_" + _chars(24),
    "stripe restricted": "rk_live_" + _chars(24),
    "slack bot": f"xoxb-{_chars(11, string.digits)}-{_chars(13, string.digits)}-{_chars(24)}",
    "slack user": f"xoxp-{_chars(11, string.digits)}-{_chars(12, string.digits)}-{_chars(32, '0123456789abcdef')}",
    "hubspot": f"pat-na1-{_hex(8)}-{_hex(4)}-{_hex(4)}-{_hex(4)}-{_hex(12)}",
    "discord bot": f"M{_chars(25)}.{_chars(6)}.{_chars(38)}",
    "aws": "AKIA" + _chars(16, string.ascii_uppercase + string.digits),
    "generic": _chars(40),  # a key of no known shape: only its randomness gives it away
}


def leaked(text: str) -> list[str]:
    """The names of the keys found in ``text``."""
    return [name for name, key in KEYS.items() if key in text]


async def database_text(database: Database) -> str:
    """Everything the database holds, as text: the SQLite file's bytes (and its WAL), or
    every row of every table on PostgreSQL."""
    if database.is_sqlite:
        path = Path(database.url.split(":///", 1)[1])
        await database.dispose()  # checkpoint and close, so the file holds what was written
        parts = [p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists()]
        return b"".join(parts).decode("latin-1")
    rows: list[str] = []
    async with database.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            result = await conn.execute(text(f'SELECT row_to_json(t)::text FROM "{table.name}" t'))
            rows.extend(str(r[0]) for r in result)
    return "\n".join(rows)


async def audit_text(database: Database) -> str:
    async with database.session(all_teams=True) as session:
        return "".join([line async for line in export(session)])


@contextlib.contextmanager
def debug_json_log() -> Iterator[io.StringIO]:
    """The process log as `deputy` writes it with DEPUTY_LOG_FORMAT=json at DEBUG."""
    out = io.StringIO()
    root = logging.getLogger()
    handler = log_handler("json", out)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
