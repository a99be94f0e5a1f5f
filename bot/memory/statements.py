"""Reads what a person asked Deputy to remember: its scope, its subject, and — for the
kinds the rule planner uses — a structured value.

Only a person's own chat command reaches this module (bot/flow/memory_commands.py); text
that came from an integration, a tool or a model is never parsed as a memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.lazy_re import lazy
from bot.store.memories import Scope

MAX_CHARS = 500

_SCOPE = lazy(
    r"^(?:for\s+(?P<who>me|myself|the\s+(?:whole\s+)?team|everyone|this\s+channel|here)\s*[:,]?\s*)", re.I)
_LASTING = lazy(r"^(?:for\s+(?P<n>\d{1,3})\s+(?P<unit>days?|weeks?)\s*[:,]?\s*)", re.I)
_THAT = lazy(r"^that\b\s*", re.I)
_TEAM = lazy(r"^(?:the|our|my)\s+team\s+(?:is|are|=)\s+(?P<names>.+)$", re.I)
_KINDS = r"stand-?ups?|syncs?|1:1s?|one-on-ones?|reviews?|demos?|meetings?|calls?|catch[- ]ups?|interviews?|workshops?"
_LENGTH = lazy(
    rf"^(?:(?:our|the|all)\s+)?(?P<kind>{_KINDS})(?:\s+with\s+(?P<with>[\w .&'-]+?))?\s+"
    r"(?:are|is|last|lasts|take|takes|should\s+be)\s+(?P<n>\d{1,3})\s*(?P<unit>minutes?|mins?|hours?|h)\b(?:\s+long)?$",
    re.I)
# "by Ana we mean Ana Lima": which of several people a first name stands for
_ALIAS = lazy(r"^by\s+(?P<name>[A-Za-z][\w'’-]*)\s+(?:we|i)\s+mean\s+(?P<means>[A-Za-z][\w'’-]*(?:\s+[A-Za-z][\w'’-]*){1,3})$",
                    re.I)
_VERB = lazy(r"\b(?:is|are|go|goes|pays|pay|prefers|prefer|uses|use|has|have|wants|likes|lives|works)\b", re.I)


@dataclass(frozen=True)
class Statement:
    scope: str
    subject: str
    text: str
    kind: str = ""
    value: dict[str, Any] | None = None
    days: int | None = None  # "remember for 2 weeks: …" expires after 14 days


class NotAStatement(ValueError):
    """Said as a message to the person: what to write instead."""


def meeting_word(word: str) -> str:
    """'standups', 'stand-up' → 'standup': one key for the meeting kinds."""
    w = word.lower().replace("-", "").replace(" ", "")
    if w.endswith("s") and w not in ("1:1s",):
        w = w[:-1]
    return {"1:1s": "1:1", "oneonone": "1:1", "catchup": "catchup"}.get(w, w)


def split_names(text: str) -> list[str]:
    parts = re.split(r"\s*,\s*|\s+and\s+|\s*&\s*", text.strip().rstrip("."))
    return [p.strip() for p in parts if p.strip()]


def parse(text: str) -> Statement:
    body = " ".join(text.split()).strip()
    scope = Scope.CHANNEL
    found = _SCOPE.match(body)
    if found:
        who = found.group("who").lower()
        scope = (Scope.PERSON if who in ("me", "myself")
                 else Scope.CHANNEL if who in ("this channel", "here") else Scope.TEAM)
        body = body[found.end():]
    days = None
    lasting = _LASTING.match(body)
    if lasting:
        days = int(lasting.group("n")) * (7 if lasting.group("unit").lower().startswith("w") else 1)
        if not 1 <= days <= 3650:
            raise NotAStatement("A memory can last from 1 day to 10 years.")
        body = body[lasting.end():]
    body = _THAT.sub("", body).strip().rstrip(".")
    if not body:
        raise NotAStatement("Tell me what to remember, for example: `remember that our standups are 15 minutes`.")
    if len(body) > MAX_CHARS:
        raise NotAStatement(f"That is {len(body)} characters; a memory holds at most {MAX_CHARS}.")
    team = _TEAM.match(body)
    if team:
        names = split_names(team.group("names"))
        return Statement(scope, "team members", body, "team_members", {"names": names}, days)
    length = _LENGTH.match(body)
    if length:
        n = int(length.group("n"))
        minutes = n * 60 if length.group("unit").lower().startswith("h") else n
        kind = meeting_word(length.group("kind"))
        with_ = (length.group("with") or "").strip()
        subject = f"length of {kind}" + (f" with {with_.lower()}" if with_ else "")
        return Statement(scope, subject, body, "meeting_length",
                         {"meeting": kind, "with": with_, "minutes": minutes}, days)
    alias = _ALIAS.match(body)
    if alias:
        name, means = alias.group("name"), alias.group("means")
        return Statement(scope, f"who {name.lower()} is", body, "person_alias", {"name": name, "means": means}, days)
    verb = _VERB.search(body)
    subject = body[:verb.start()] if verb and verb.start() > 0 else body
    return Statement(scope, subject.strip().lower()[:200], body, days=days)
