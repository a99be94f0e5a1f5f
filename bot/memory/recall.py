"""Which memories a goal is about.

The database finds them (``bot/store/memory_search.py``: SQLite FTS5 or PostgreSQL
tsvector, among the current memories the requester may use where they asked) from the
goal's :func:`query_words`; :func:`rank` then orders those few: words shared between the
goal and the memory (lower-cased, possessives and plural "s" dropped, common words
ignored), then the narrower scope, then the newer memory. See docs/memory.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.store.memories import MemoryRow, Scope


@dataclass(frozen=True)
class RememberedFact:
    """A memory a person taught Deputy, offered to the planner as a fact (never an order).

    ``kind``/``value`` are set for the structured kinds the rule planner reads
    ("team_members": {"names": [...]}, "meeting_length": {"meeting", "with", "minutes"})."""

    id: int
    text: str
    kind: str = ""
    value: dict[str, Any] = field(default_factory=dict)
    provenance: str = ""  # "from Ana, 3 Nov"


TOP = 5
_STOP = frozenset("""a an the and or of to for in on at by with is are be was were our my your their
this that these those it its we us i me you he she they them do does did please book set up
schedule make new next last all every some any""".split())
# words that make a structured memory relevant although its text does not hold them
_KIND_WORDS = {"team_members": frozenset({"team", "everyone", "everybody"})}
_SPECIFIC = {Scope.PERSON: 2, Scope.CHANNEL: 1, Scope.TEAM: 0}


def words(text: str) -> set[str]:
    found = set()
    for raw in re.findall(r"[a-z0-9@.:-]+", text.lower().replace("\u2019", "'").replace("'s", "")):
        w = raw.strip(".:-").replace("-", "")
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        if w and w not in _STOP:
            found.add(w)
    return found


def provenance(row: MemoryRow) -> str:
    who = row.taught_by_name or row.taught_by
    return f"from {who}, {row.created_at.day} {row.created_at:%b}"


def as_fact(row: MemoryRow) -> RememberedFact:
    assert row.id is not None
    return RememberedFact(id=row.id, text=row.text, kind=row.kind, value=dict(row.value or {}),
                          provenance=provenance(row))


def query_words(said: str, *, parts: bool = True) -> list[str]:
    """The words of a goal or topic worth searching for: plain words (a hyphenated word also
    joined; its parts too unless ``parts`` is False, as when every word must match), common ones
    dropped, and "everyone"/"everybody" also looking for the team."""
    found: dict[str, None] = {}
    for raw in re.findall(r"[a-z0-9-]+", said.lower().replace("\u2019", "'").replace("'s", "")):
        # "stand-up" finds "standups" as well as "stand" and "up"
        for word in (raw.replace("-", ""), *(raw.split("-") if parts else ())):
            if len(word) > 1 and word not in _STOP:
                found.setdefault(word, None)
                if word in _KIND_WORDS["team_members"]:
                    found.setdefault("team", None)
    return list(found)


def rank(goal: str, rows: list[MemoryRow], top: int = TOP) -> list[MemoryRow]:
    """Order the memories the search found for ``goal``; the first ``top`` go to the planner."""
    wanted = words(goal)
    scored: list[tuple[int, int, datetime, MemoryRow]] = []
    for row in rows:
        score = len(wanted & (words(row.subject) | words(row.text) | _KIND_WORDS.get(row.kind, frozenset())))
        scored.append((score, _SPECIFIC.get(row.scope, 0), row.valid_from, row))
    scored.sort(key=lambda s: (s[0], s[1], s[2]), reverse=True)
    return [s[3] for s in scored[:top]]
