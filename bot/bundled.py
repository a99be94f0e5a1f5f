"""Files Deputy ships beside its code: the Alembic migrations and the policies.

In the repository they live in the top-level ``migrations/`` and ``policies/`` folders. A
wheel carries copies as package data under ``bot/_bundled/`` (``setup.py`` puts them there
at build time), so an installed Deputy finds them with :mod:`importlib.resources` wherever
it runs. A source checkout (editable install) has no copies and uses the folders themselves.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def bundled_folder(name: str) -> Path:
    """The folder ``name`` (``migrations`` or ``policies``) as a real path on disk."""
    packaged = resources.files("bot") / "_bundled" / name
    if packaged.is_dir():
        # wheels install as plain files, so the traversable is already a filesystem path
        return Path(str(packaged))
    return _CHECKOUT / name


def migrations_folder() -> Path:
    return bundled_folder("migrations")


def default_policy_file() -> Path:
    return bundled_folder("policies") / "default.yaml"
