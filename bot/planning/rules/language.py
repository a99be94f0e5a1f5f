"""Goals the rule planner should not plan at all, and small spelling slips it forgives.

A goal in another language, or one that asks to delete records, gets an honest answer
before any pattern is tried: a pattern that happens to match a word of it would otherwise
produce a confident plan for something nobody asked.
"""

from __future__ import annotations

import difflib
import re

from bot.lazy_re import lazy

# common words of other languages that English goals do not use
_FOREIGN = {
    # Spanish / Portuguese
    "los", "las", "del", "para", "todos", "todas", "una", "uno", "por", "que", "el", "como",
    "facturas", "factura", "faturas", "fatura", "clientes", "mes", "pasado", "envie", "enviar",
    "lembretes", "vencidas", "reunión", "reunião", "semana", "mañana", "amanhã", "hoy", "hoje",
    # French
    "les", "des", "est", "sont", "une", "pour", "quelles", "quels", "retard", "avec", "demain",
    "envoyer", "rappels", "réunion", "mois", "dernier", "aujourd'hui", "factures",
    # German / Dutch / Italian
    "für", "und", "der", "die", "das", "den", "nicht", "mit", "letzten", "erstellen", "rechnungen",
    "rechnung", "monat", "morgen", "bitte", "zeige", "een", "het", "voor", "fatture", "mese",
    "scorso", "della", "alle", "sono",
}
_ENGLISH = {
    "the", "a", "an", "to", "for", "of", "and", "with", "on", "in", "is", "are", "what", "who",
    "my", "our", "all", "me", "us", "at", "by", "from", "this", "next", "last", "please",
}

DESTRUCTIVE = lazy(
    r"\b(?:delete|deletes|remove|wipe|purge|erase|destroy|drop|nuke|trash|clear out|get rid of)\b", re.I)
VOID_WORDS = lazy(r"^\s*(?:please\s+)?void\b", re.I)


def foreign_language(goal: str) -> bool:
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", goal.lower())
    if not words:
        return False
    foreign = sum(w in _FOREIGN for w in words)
    english = sum(w in _ENGLISH for w in words)
    accented = bool(re.search(r"[à-ÿß]", goal.lower()))
    return foreign >= 2 and foreign > english or (accented and foreign >= 1 and english == 0)


NOT_ENGLISH = ("I can only read goals written in English so far, so I have not planned this. "
               "Could you say it in English? For example \u201cwhat's overdue?\u201d or "
               "\u201cinvoice all clients for last month\u201d.")

WONT_DELETE = ("I don't delete records from a chat goal: Deputy never deletes contacts, companies, "
               "deals or invoices, so I have not planned this. I can void one unpaid invoice, "
               "cancel an event, or move a deal to \u201clost\u201d \u2014 say which.")

WONT_VOID_MANY = ("I don't void invoices from a goal written in words: voiding is destructive and I "
                  "would rather you name the invoice. List them first (\u201clist unpaid invoices\u201d), "
                  "then void one by hand in your invoicing system.")


def correct_spelling(goal: str, vocabulary: tuple[set[str], set[str]], keep: set[str]) -> str:
    """``goal`` with words that are one slip away from a word the planner knows replaced
    by it ("invocie" → "invoice"); names in ``keep`` and short words are left alone."""
    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        low = word.lower()
        known, targets = vocabulary
        if len(low) < 5 or low in known or low in keep:
            return word
        close = difflib.get_close_matches(low, targets, n=1, cutoff=0.8)
        return close[0] if close else word

    return re.sub(r"[A-Za-z]+", fix, goal)
