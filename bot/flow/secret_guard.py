"""Spots secrets typed where no secret belongs, so Deputy warns instead of storing or echoing them.

It runs before anything else sees an event (``bot.dispatch``), and the adapters ask it before
they echo a goal themselves (the public "… asked: …" message of a slash command). Only a
connect form (``CredentialsSubmitted``) may carry a secret.
"""

from __future__ import annotations

import re

from bot.chat.events import ChatEvent, CommandInvoked, GoalPosted, ModifySubmitted, ThreadReply
from bot.lazy_re import lazy
from bot.redact import looks_random, redact_text

# besides the credential shapes the redactor knows: "password: …"-style assignments
_ASSIGNMENT = lazy(r"\b(password|passwd|pwd|api[_-]?key|secret|token)\s*[:=]\s*\S{6,}", re.IGNORECASE)


def looks_like_secret(text: str) -> bool:
    if redact_text(text) != text or _ASSIGNMENT.search(text):
        return True
    # a long random-looking token (mixed classes, high entropy) is most likely a key
    return any(looks_random(token) for token in re.findall(r"[A-Za-z0-9+/_\-]{32,}", text))


def typed_texts(event: ChatEvent) -> tuple[str, ...]:
    """What a person typed into ``event`` where no secret belongs (not a connect form)."""
    if isinstance(event, GoalPosted | ThreadReply):
        return (event.text,)
    if isinstance(event, CommandInvoked):
        return (event.name, event.argument)
    if isinstance(event, ModifySubmitted):
        return tuple(part for edit in event.edits for part in (edit.key, edit.value))
    return ()


def holds_secret(event: ChatEvent) -> bool:
    return any(looks_like_secret(text) for text in typed_texts(event))


def entry_point(event: ChatEvent) -> str:
    """How the refused text came in, for the audit log (never the text itself)."""
    if isinstance(event, CommandInvoked):
        return f"command {event.name.lower()}" if event.name.isalpha() else "command"
    return {"GoalPosted": "goal", "ThreadReply": "thread reply",
            "ModifySubmitted": "modify"}.get(type(event).__name__, type(event).__name__)


WARNING = ("That message looks like it contains a secret (a key, token or password). I did not "
           "store it or act on it. Please delete the message, revoke that secret if others can "
           "see the channel, and use `connect INTEGRATION` to give it to me privately.")
