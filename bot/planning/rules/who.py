"""People and invoicing clients named in a goal, recognised from what the context knows."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.lazy_re import lazy
from bot.planning.protocol import KnownPerson
from bot.planning.rules.when import MONTHS

EMAIL = lazy(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*")
# capitalised words that start a sentence or name a time, never a person
_NOT_NAMES = {
    "i", "me", "my", "we", "us", "the", "a", "an", "and", "or", "with", "on", "at", "for",
    "about", "next", "this", "today", "tomorrow", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "everyone", "everybody", "team", "them", "him", "her",
}


@dataclass(frozen=True)
class Who:
    """A person to invite: ``name`` goes to find_people, ``label`` to the summary."""

    name: str
    label: str
    email: str = ""


@dataclass(frozen=True)
class AmbiguousName:
    written: str
    candidates: tuple[str, ...]


def _word(text: str, word: str, case_sensitive: bool) -> re.Match[str] | None:
    flags = 0 if case_sensitive else re.I
    return re.search(rf"(?<![\w@.]){re.escape(word)}(?![\w@])", text, flags)


def _first(person: KnownPerson) -> str:
    return person.name.split()[0]


def find_people(text: str, people: tuple[KnownPerson, ...]) -> tuple[list[Who], list[AmbiguousName]]:
    """Known people named in ``text`` (by email, full name or first name) in order of
    appearance, emails nobody knows (passed through), and first names that fit several."""
    found: list[tuple[int, Who]] = []
    ambiguous: list[AmbiguousName] = []
    taken: set[str] = set()
    # a lower-case goal ("meet bob") still names people; in mixed case only capitalised
    # first names count, so "will" or "may" as words do not invite Will or May
    lower_only = text == text.lower()
    first_counts: dict[str, int] = {}
    for person in people:
        first_counts[_first(person).lower()] = first_counts.get(_first(person).lower(), 0) + 1
    for email in EMAIL.finditer(text):
        written = email.group(0).rstrip(".")
        match = [p for p in people if p.email.lower() == written.lower()]
        if not match:
            match = [p for p in people if p.email.lower().startswith(written.lower())]
        if len(match) == 1:
            person = match[0]
            found.append((email.start(), Who(person.name, _label(person, first_counts), person.email)))
            taken.add(person.email)
        else:
            found.append((email.start(), Who(written, written, written)))
    for person in people:
        if person.email in taken:
            continue
        hit = _word(text, person.name, case_sensitive=False)
        if hit is None and first_counts[_first(person).lower()] == 1:
            hit = _word(text, _first(person), case_sensitive=not lower_only)
        if hit is not None:
            found.append((hit.start(), Who(person.name, _label(person, first_counts), person.email)))
            taken.add(person.email)
    for first, count in first_counts.items():
        hit = _word(text, first.capitalize(), case_sensitive=not lower_only)
        if count > 1 and hit is not None:
            named = [p for p in people if _first(p).lower() == first and p.email in taken]
            if not named:
                candidates = tuple(p.name for p in people if _first(p).lower() == first)
                ambiguous.append(AmbiguousName(hit.group(0), candidates))
    found.sort(key=lambda pair: pair[0])
    return [who for _, who in found], ambiguous


def _label(person: KnownPerson, first_counts: dict[str, int]) -> str:
    first = _first(person)
    return first if first_counts[first.lower()] == 1 else person.name


def unknown_invitees(text: str, known: list[Who]) -> list[Who]:
    """Capitalised names after 'with' that nobody in the context matches: passed to
    find_people as written, which then says clearly that it knows nobody by that name."""
    found = re.search(r"\bwith\s+(.+?)(?=\s+(?:on|at|for|about|re|next|this|tomorrow|today|in|from|to)\b|[,.?!;:]?$|[.?!;:])", text)
    if not found:
        return []
    labels = {w.label.lower() for w in known} | {w.name.lower() for w in known}
    labels |= {part.lower() for w in known for part in w.name.split()}
    extra: list[Who] = []
    for chunk in re.split(r",|\band\b|&", found.group(1)):
        words = chunk.strip().split()
        if not words or EMAIL.search(chunk):
            continue
        name = " ".join(words)
        if name.lower() in labels or words[0].lower() in _NOT_NAMES or not words[0][:1].isupper():
            continue
        if all(w[:1].isupper() for w in words) and len(words) <= 3:
            extra.append(Who(name, name))
    return extra


def find_clients(text: str, clients: tuple[str, ...]) -> list[str]:
    """Invoicing clients named in ``text``: full name, or the first word of a longer name
    ("Acme" for "Acme Corp") when no other client shares it."""
    firsts: dict[str, int] = {}
    for client in clients:
        key = client.split()[0].lower()
        firsts[key] = firsts.get(key, 0) + 1
    found: list[tuple[int, str]] = []
    for client in clients:
        hit = _word(text, client, case_sensitive=False)
        first = client.split()[0]
        if hit is None and len(first) >= 3 and firsts[first.lower()] == 1:
            hit = _word(text, first, case_sensitive=False)
        if hit is not None:
            found.append((hit.start(), client))
    found.sort()
    return [client for _, client in found]


def join_names(labels: list[str]) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


_CAPS = lazy(r"\b[A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*)*")
_CLIENT_LEAD = lazy(
    r"\b(?:bill|invoice|remind|chase|nudge|from|for|of|owed by|on|does|did|has|is)\s+"
    r"([A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*)*)")
_NOT_CLIENT_WORDS = {
    "all", "everyone", "every", "everybody", "each", "clients", "customers", "me", "us", "the",
    "our", "last", "this", "next", "invoices", "anyone", "whoever", "i", "q1", "q2", "q3", "q4",
    "today", "tomorrow", "yesterday", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december", "usd", "crm", "it", "please", "what",
} | set(MONTHS)


def unknown_client(text: str, clients: tuple[str, ...], people: tuple[KnownPerson, ...] = ()) -> str | None:
    """A capitalised name the goal gives as a client that is none of ``clients``: "Acme
    Industries" when only "Acme Corp" exists, or "Wayne Enterprises". Never silently
    replaced by a similar name."""
    if not clients or text == text.lower() or text == text.upper():
        return None
    known = {c.lower() for c in clients}
    firsts = {c.split()[0].lower(): c for c in clients}
    names = {p.name.lower() for p in people} | {w.lower() for p in people for w in p.name.split()}
    for run in _CAPS.finditer(text):
        words = run.group(0).split()
        for i, word in enumerate(words[:-1]):
            client = firsts.get(word.lower())
            if client is None:
                continue
            rest = " ".join(words[i:]).lower()
            if not any(rest.startswith(k) for k in known if k.startswith(word.lower())):
                return " ".join(words[i:i + 2])
    for lead in _CLIENT_LEAD.finditer(text):
        phrase = re.sub(r"(?:'s|\u2019s)$", "", lead.group(1))
        words = phrase.split()
        if words[0].lower() in _NOT_CLIENT_WORDS or phrase.lower() in names:
            continue
        if any(phrase.lower().startswith(k) or k.startswith(phrase.lower()) for k in known):
            continue
        if words[0].lower() in firsts or words[0].lower() in names:
            continue
        return phrase
    return None


def close_names(written: str, people: tuple[KnownPerson, ...]) -> list[str]:
    """Known people who share the first or the last name of ``written``."""
    parts = written.lower().split()
    return [p.name for p in people
            if p.name.split()[0].lower() == parts[0] or p.name.split()[-1].lower() == parts[-1]]


def mismatched_full_name(text: str, people: tuple[KnownPerson, ...],
                         clients: tuple[str, ...] = ()) -> str | None:
    """A "First Last" the goal writes that is no known person although the first name is
    someone's: "Alice Martin" when the directory has Alice Wong and Chloe Martin. Matching
    "Alice" alone would silently put another person in the plan."""
    full = {p.name.lower() for p in people}
    firsts = {p.name.split()[0].lower() for p in people}
    lasts = {p.name.split()[-1].lower() for p in people if len(p.name.split()) > 1}
    not_names = _NOT_NAMES | _NOT_CLIENT_WORDS | {c.split()[0].lower() for c in clients}
    one_case = text in (text.lower(), text.upper())
    for pair in re.finditer(r"(?=\b([A-Za-z][\w-]*)\s+([A-Za-z][\w-]*)(?:'s|\u2019s)?\b)", text):
        first, last = pair.group(1), re.sub(r"(?:'s|\u2019s)$", "", pair.group(2))
        written = f"{first} {last}".lower()
        if written in full or first.lower() not in firsts:
            continue
        if one_case:
            if last.lower() in lasts:
                return f"{first.capitalize()} {last.capitalize()}"
        elif first[0].isupper() and last[0].isupper() and last.lower() not in not_names:
            return f"{first} {last}"
    return None
