"""Words that narrow what a goal acts on: exclusions, thresholds, statuses.

Each reader returns what it found and the phrases it used, so the coverage check knows
those words are accounted for. A qualifier the planner cannot read stays unaccounted for,
and the goal gets an honest answer rather than a plan that ignores it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.lazy_re import lazy
from bot.planning.rules.when import NUMBER_WORDS
from bot.planning.rules.who import find_clients

_NUMBER = r"\d+(?:\.\d+)?|" + "|".join(NUMBER_WORDS)
EXCLUDE = lazy(
    r"\b(?:except(?:\s+for)?|apart\s+from|aside\s+from|other\s+than|excluding|not\s+including"
    r"|but\s+not|(?:everyone|everybody|all|anyone|everything)\s+but|leave\s+out|leaving\s+out"
    r"|skip(?:ping)?|without)\b", re.I)
_DAYS = lazy(
    rf"\b(?:(?:overdue|late|past\s+due)\s+(?:by\s+|for\s+)?)?(more\s+than|over|longer\s+than|at\s+least|by\s+over)"
    rf"\s+({_NUMBER})\s+(days?|weeks?|months?)(?:\s+(?:overdue|late|past\s+due))?\b", re.I)
_DAYS_UNIT = {"day": 1, "week": 7, "month": 30}
_AMOUNT = lazy(
    r"\b(over|more\s+than|above|at\s+least|greater\s+than|bigger\s+than|exceeding|worth\s+over)"
    r"\s+(?:usd\s*)?[$€£]?\s*(\d[\d,]*(?:\.\d+)?)(?![\d,.])(?!\s*(?:days?|weeks?|months?|hours?|h\b|minutes?|mins?))"
    r"\s*(k\b|thousand|m\b|million)?(?:\s*(?:dollars|usd|euros?|pounds?))?", re.I)
_STATUS = (
    ("unpaid", lazy(r"\b(?:unpaid|outstanding|owes?|owed|owing|(?:hasn't|hasnt|haven't|havent|has not|have not|not)"
                          r"\s+(?:yet\s+)?paid|not\s+paid\s+yet)\b", re.I)),
    ("overdue", lazy(r"\b(?:overdue|late|past\s+due|late\s+payers?)\b", re.I)),
    ("draft", lazy(r"\bdrafts?\b", re.I)),
    ("paid", lazy(r"\bpaid\b", re.I)),
    ("void", lazy(r"\bvoid(?:ed)?\b", re.I)),
    ("sent", lazy(r"\bsent\b", re.I)),
)


@dataclass
class Narrowing:
    exclude: list[str] = field(default_factory=list)
    overdue_more_than_days: int | None = None
    amount_above_cents: int | None = None
    used: list[str] = field(default_factory=list)
    excluded_by: str = ""  # the phrase that said what to leave out (also in ``used``)


def _number(word: str) -> float:
    low = word.lower()
    return float(NUMBER_WORDS[low]) if low in NUMBER_WORDS else float(low.replace(",", ""))


def exclusion(text: str, clients: tuple[str, ...]) -> re.Match[str] | None:
    """Where the goal starts naming what to leave out: an EXCLUDE phrase, or a bare "but"
    right before a client ("invoice all clients but Globex", "remind everyone for October
    but Acme"): that "but" used to be filler, and the plan covered only the excluded client."""
    found = [m for m in (EXCLUDE.search(text),) if m is not None]
    for bare in re.finditer(r"\bbut\s+(?:for\s+)?", text, re.I):
        rest = text[bare.end():]
        named = find_clients(rest, clients)
        if named and rest.lower().startswith(named[0].split()[0].lower()):
            found.append(bare)
            break
    return min(found, key=lambda m: m.start()) if found else None


def read(text: str, clients: tuple[str, ...]) -> Narrowing:
    found = Narrowing()
    marker = exclusion(text, clients)
    if marker:
        excluded = find_clients(text[marker.end():], clients)
        if excluded:
            found.exclude = excluded
            found.excluded_by = marker.group(0)
            found.used.append(marker.group(0))
    days = _DAYS.search(text)
    if days:
        count = _number(days.group(2)) * _DAYS_UNIT[days.group(3).lower().rstrip("s")]
        at_least = days.group(1).lower().startswith("at")
        found.overdue_more_than_days = max(int(count) - (1 if at_least else 0), 0)
        found.used.append(days.group(0))
    amount = _AMOUNT.search(text)
    if amount:
        scale = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000}.get(
            (amount.group(3) or "").lower(), 1)
        cents = round(_number(amount.group(2)) * scale * 100)
        at_least = amount.group(1).lower().startswith("at")
        found.amount_above_cents = max(cents - (1 if at_least else 0), 0)
        found.used.append(amount.group(0))
    return found


def included_clients(text: str, clients: tuple[str, ...]) -> list[str]:
    """Clients named before any exclusion marker: those the goal is about."""
    marker = exclusion(text, clients)
    return find_clients(text[: marker.start()] if marker else text, clients)


def status(text: str, default: str) -> tuple[str, list[str]]:
    """The invoice status a goal means, and the phrase that said so."""
    if re.search(r"\ball\s+(?:the\s+)?invoices\b|\bevery\s+invoice\b", text, re.I) and not any(
            p.search(text) for _, p in _STATUS):
        return "any", []
    for name, pattern in _STATUS:
        hit = pattern.search(text)
        if hit:
            return name, [hit.group(0)]
    return default, []
