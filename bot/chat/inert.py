"""Makes text that came from a person, a model or an integration harmless where it is shown.

Platform-neutral parts live here (the terminal, names in a planning prompt, step descriptions
that speak about approvals); Slack's and Discord's escaping live in their adapters' render
modules, next to the syntax they neutralise.
"""

from __future__ import annotations

import re
import unicodedata

from bot.lazy_re import lazy

# CSI (colours, cursor moves, screen clears), OSC (window titles, hyperlinks), DCS/SOS/PM/APC
# strings, and the two-byte escapes
_ESCAPE_SEQUENCE = lazy(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]"
    r"|\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|[ -/]*[0-~])"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# C0 and C1 controls but tab and newline, DEL, and the bidirectional overrides and isolates
# that make a terminal show text in another order than it is stored
_CONTROL = lazy(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = lazy(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


def terminal_text(text: str) -> str:
    """What may be printed on a terminal: no escape sequences, no control characters."""
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


def one_line(text: str) -> str:
    """A name or label for a prompt: line breaks become spaces, controls go, spaces collapse."""
    flat = _LINE_BREAKS.sub(" ", text)
    return " ".join(terminal_text(flat).split())


# letters of other scripts that look Latin, so "Аpproved" (Cyrillic А) is read as "approved"
_LOOKALIKES = str.maketrans("АВЕЅІЈКМНОРСТХУаеѕіјорсхуԁһӏ", "ABESIJKMHOPCTXYaesijopcxydhl")
_INVISIBLE = lazy(r"[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
                        r"\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0]")
# what only the policy may say about a step: that it is approved, allowed, or needs nobody
_APPROVAL_CLAIM = lazy(
    r"approv|authori[sz]|sign(?:ed)?[\s-]*off|granted|permitted|permission|whitelist|allowlist"
    r"|verdict|policy|guardrail|no\s+(?:need|one|review)|without\s+(?:approval|asking|review)"
    r"|runs?\s+alone|read[\s-]*only|safe\s+to\s+run|already\s+(?:ok|confirmed|cleared)",
    re.IGNORECASE,
)


def claims_approval(text: str) -> bool:
    """True when ``text`` (a planner's step description or summary) speaks about approvals
    or the policy — which only the policy's own verdict line may do on a card."""
    plain = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).translate(_LOOKALIKES)
    return bool(_APPROVAL_CLAIM.search(plain))


def planner_words(note: str, fallback: str) -> str:
    """A planner's note for a step, or ``fallback`` (the action) when it is empty or speaks
    about approvals — wherever a step is named: card, preview, answers, errors."""
    return note if note and not claims_approval(note) else fallback
