"""Which chat texts are management commands rather than goals — one rule for every platform.

A command is a known word alone ("help", "status", "monitors"), a known word and one
argument ("cancel 12", "connect crm"), "monitor VERB ID" or "monitor schedule ID WHEN", and the memory commands ("remember …",
"forget 3", "memories", "what do you remember about Acme", "when did we last meet Initech?",
"who did we remind last week?"), and the team's settings ("setup", "admin", "setup digest #finance").
Anything else is a goal, so
"connect Anna with the Acme team" and "remember to call Ana" stay goals.
"""

from __future__ import annotations

import re

from bot.lazy_re import lazy

BARE_COMMANDS = frozenset({"help", "status", "connections", "runs", "monitors", "memories"})
ARGUMENT_COMMANDS = frozenset({"cancel", "connect", "disconnect", "forget"})
_RECALL = lazy(r"^what\s+do\s+you\s+remember(?:\s+about\s+(?P<topic>.+?))?\s*\??$", re.I)
# "when did we last meet Initech?" asks the episodes (what Deputy did), not the memories
_LAST = lazy(r"^when\s+did\s+(?:we|you)\s+last\s+(?P<what>(?:meet|book|remind|invoice|email|call)\b.*?)\s*\??$",
                   re.I)
# "who did we remind last week?" lists whom the episodes reached
_WHO = lazy(r"^who\s+did\s+(?:we|you)\s+(?P<what>(?:meet|book|remind|invoice|email|call)\b.*?)\s*\??$", re.I)
MONITOR_VERBS = frozenset({"approve", "reject", "pause", "resume", "run", "delete"})
# the team's settings, for its administrators: "setup", "admin", "setup role finance <@&1>",
# "setup digest <#2>", "setup timezone Europe/Paris" ("setup the room for Friday" is a goal)
TEAM_COMMANDS = frozenset({"setup", "admin"})
TEAM_SETTINGS = {"role": 4, "digest": 3, "timezone": 3}


def _argument_fits(name: str, argument: str) -> bool:
    """"cancel 5" and "connect crm" are commands; "cancel retro" and "connect Ben" are goals."""
    if name in ("cancel", "forget"):
        return argument.lstrip("#").isdigit()
    return re.fullmatch(r"[a-z][a-z0-9_-]*", argument) is not None


def parse_command(text: str) -> tuple[str, str] | None:
    """(name, argument) when ``text`` is a management command; None when it is a goal."""
    words = text.split()
    if not words:
        return None
    name = words[0].lower()
    if len(words) == 1 and name in BARE_COMMANDS:
        return name, ""
    if len(words) == 1 and name == "connect":  # answered with how to use it and what can be connected
        return name, ""
    if len(words) == 2 and name in ARGUMENT_COMMANDS and _argument_fits(name, words[1]):
        return name, words[1]
    if name in TEAM_COMMANDS and (len(words) == 1 or TEAM_SETTINGS.get(words[1].lower()) == len(words)):
        return name, " ".join(words[1:])
    recall = _RECALL.match(" ".join(words))
    if recall:
        return "memories", (recall.group("topic") or "").strip()
    last = _LAST.match(" ".join(words))
    if last:
        return "last", last.group("what").strip()
    who = _WHO.match(" ".join(words))
    if who:
        return "who", who.group("what").strip()
    # "remember to call Ana" is a goal (a reminder); "remember that …" / "remember for me: …" is memory
    if len(words) > 1 and name == "remember" and words[1].lower() != "to":
        return name, " ".join(words[1:])
    if len(words) == 3 and name == "monitor" and words[1].lower() in MONITOR_VERBS and words[2].isdigit():
        return name, f"{words[1].lower()} {words[2]}"
    # "monitor pause" with no id: still the command, so it answers with how to use it
    if len(words) == 2 and name == "monitor" and words[1].lower() in MONITOR_VERBS | {"schedule"}:
        return name, words[1].lower()
    # "monitor schedule 3 every Monday at 10": a new schedule in words
    if len(words) > 3 and name == "monitor" and words[1].lower() == "schedule" and words[2].isdigit():
        return name, "schedule " + " ".join(words[2:])
    return None
