"""Checks an action's argument schema against JSON Schema's meta-schema, once per schema.

Checking every action's schema of every enabled manifest, and importing jsonschema to do it,
is 0.1-0.2 s of CPU of each start (docs/benchmarks.md, "Start-up of the `deputy` command"),
for schemas that rarely change. A schema that passed is remembered by the SHA-256 of its
canonical JSON and jsonschema's version, one digest a line in ``deputy/checked-schemas`` of the
user's cache folder (``XDG_CACHE_HOME``, else ``~/.cache``); a schema whose digest is there is
not checked again. A schema that fails is never remembered, so it fails at every start. The
cache is only ever a shortcut: when it cannot be read or written the schema is checked.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any


class InvalidSchema(Exception):  # noqa: N818 - named for what it says, like ManifestError's causes
    """The schema is not valid JSON Schema (draft 2020-12); ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def cache_file() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "deputy" / "checked-schemas"


@cache
def _jsonschema_version() -> str:
    return version("jsonschema")


def digest(schema: dict[str, Any]) -> str:
    canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{_jsonschema_version()}\n{canonical}".encode()).hexdigest()


# what each cache file held when first read, and what this process added (by the file's path)
_known: dict[Path, set[str]] = {}


def _checked() -> set[str]:
    path = cache_file()
    if path not in _known:
        try:
            _known[path] = set(path.read_text().split())
        except (OSError, UnicodeDecodeError):
            _known[path] = set()
    return _known[path]


def _remember(key: str) -> None:
    _checked().add(key)
    path = cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # one short line in append mode: processes writing at once do not mix their lines
        with path.open("a") as out:
            out.write(key + "\n")
    except OSError:
        return  # a cache that cannot be written only means checking again next time


def check_args_schema(schema: dict[str, Any]) -> None:
    """Raise :class:`InvalidSchema` when ``schema`` is not valid JSON Schema."""
    key = digest(schema)
    if key in _checked():
        return
    import jsonschema  # here: a start whose schemas are all known does not import it

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as err:
        raise InvalidSchema(err.message) from err
    _remember(key)
