"""'Did you mean …?' hints for names that match nothing."""

from __future__ import annotations

import difflib


def suggest(wanted: str, names: list[str], limit: int = 3) -> str:
    """A hint naming the closest known names (by whole name or any word of it), or ""."""
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(name.lower(), name)
        for word in name.lower().split():
            by_key.setdefault(word, name)
    keys = difflib.get_close_matches(wanted.strip().lower(), list(by_key), n=limit * 2, cutoff=0.6)
    close = list(dict.fromkeys(by_key[k] for k in keys))[:limit]
    return f" Did you mean {' or '.join(close)}?" if close else ""
