"""Goals that leave out what they also ask for, and exclusions a plan does not apply.

"remind Globex but not Globex", "email Acme and not Acme", "invoice everyone except
everyone": the words after the negation take back what the words before it asked for. The
rule planner used to read only one half (it reminded Globex); it now asks which was meant.
An exclusion the chosen plan cannot apply ("list open deals but not Globex") is never
counted as used, so the coverage check names it rather than planning around it.
"""

from __future__ import annotations

import re

from bot.domain import PlanDraft
from bot.lazy_re import lazy
from bot.planning.protocol import KnownPerson
from bot.planning.rules import qualifiers
from bot.planning.rules.who import find_clients, find_people, join_names

# "not" on its own takes back a name only after "and"/"but"/a comma: "remind Acme, not Globex"
_NOT = lazy(r"(?:,|\band|\bbut)\s+not\b|\bexcept\b", re.I)
_EVERYONE = lazy(
    r"^\W*(?:for\s+)?(?:everyone|everybody|everything|anyone|anybody|all(?:\s+of\s+them)?|all\s+(?:the\s+|our\s+)?"
    r"(?:clients|customers|invoices|people)|every\s+(?:client|customer|invoice|one))\b", re.I)


def _marker(text: str, clients: tuple[str, ...]) -> re.Match[str] | None:
    found = [m for m in (qualifiers.exclusion(text, clients), _NOT.search(text)) if m is not None]
    return min(found, key=lambda m: m.start()) if found else None


def _names(text: str, clients: tuple[str, ...], people: tuple[KnownPerson, ...]) -> list[str]:
    return find_clients(text, clients) + [who.name for who in find_people(text, people)[0]]


def contradiction(text: str, clients: tuple[str, ...], people: tuple[KnownPerson, ...]) -> str | None:
    """The question to ask when the goal leaves out what it also asks for, else None."""
    marker = _marker(text, clients)
    if marker is None:
        return None
    before, after = text[: marker.start()], text[marker.end():]
    both = [name for name in dict.fromkeys(_names(after, clients, people)) if name in _names(before, clients, people)]
    if both:
        named = join_names(both)
        return (f"You asked for {named} and also to leave {named} out (\u201c{marker.group(0).strip(' ,')}\u201d). "
                f"Should I include {named} or leave {named} out? Write the goal again the way you mean it.")
    everyone = _EVERYONE.search(after)
    if everyone:
        return (f"Leaving out \u201c{everyone.group(0).strip()}\u201d leaves nothing to do. "
                "Whom should I leave out? Name them, e.g. \u201cexcept Globex\u201d.")
    return None


def honoured(draft: PlanDraft, excluded: list[str]) -> bool:
    """True when the plan applies the exclusion: no step names an excluded client, and a step
    filters them out (``exclude_clients``) or the plan names the clients it covers instead."""
    if not excluded:
        return True
    values = " ".join(str(value) for step in draft.steps for key, value in step.args.items()
                      if key != "exclude_clients" and not isinstance(value, dict))
    if any(re.search(rf"\b{re.escape(name)}\b", values, re.I) for name in excluded):
        return False
    filtered = any("exclude_clients" in step.args for step in draft.steps)
    return filtered or "except" in draft.summary or any(
        "client" in step.args or "customer" in step.args for step in draft.steps)
