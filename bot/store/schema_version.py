"""The schema version Deputy's code expects: the head revisions of its migration files, read
as text (no SQLAlchemy, no Alembic), so a command can tell whether a database is already
migrated before it loads any of that machinery (bot/store/migrate.py runs Alembic only when
the stored revisions differ; ``deputy runs list`` reads with the plain driver when they match).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from bot.bundled import migrations_folder


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


def _identifiers(script: Path) -> tuple[object, object]:
    """``revision`` and ``down_revision`` of one migration script. Alembic writes them above
    the first function, so only that header is parsed (a fifth of the time of the whole
    file, which holds the schema changes); the whole file when the header lacks them."""
    source = script.read_text(encoding="utf-8")
    try:
        tree = ast.parse(source.partition("\ndef ")[0], filename=str(script))
        return _assigned(tree, "revision"), _assigned(tree, "down_revision")
    except (SyntaxError, ValueError):
        tree = ast.parse(source, filename=str(script))
        return _assigned(tree, "revision"), _assigned(tree, "down_revision")


def head_revisions_in(folder: Path) -> frozenset[str]:
    """The head revisions of the migration scripts in ``folder``/versions, read as text
    (``revision`` and ``down_revision`` literals) without importing Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in sorted((folder / "versions").glob("*.py")):
        revision, down_revision = _identifiers(script)
        revisions |= _as_set(revision)
        parents |= _as_set(down_revision)
    return frozenset(revisions - parents)


@cache
def head_revisions() -> frozenset[str]:
    return head_revisions_in(migrations_folder())
