"""Email addresses, checked once for every integration that sends or stores one.

An address a user, a model or another system supplies ends up in a mail header, an iCalendar
ATTENDEE line, a CRM record or an outbox row. Anything beyond one plain RFC 5322 addr-spec
(``local-part@domain``) there is a way to add a recipient nobody approved: a CR/LF followed
by ``Bcc: someone``, or a second address after a comma. So every field holds exactly one
address, checked here, and a refusal names the field and says why.

Accepted: a dot-atom local part (or a quoted string without control characters), ``@``, and
a dot-atom domain of at least two labels (or a bracketed address literal). Obsolete RFC 5322
forms (comments, folding white space, ``obs-local-part``) are refused: no mail system needs
them and each is a parsing ambiguity. ``mailbox`` also accepts the display form
``Name <addr-spec>`` for fields where a name makes sense (From, To in the email integration).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.sdk import InvalidArguments

# RFC 5322 §3.2.3: atext
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
# §3.2.4: a quoted string of printable ASCII (qtext or a quoted-pair), no control characters
_QUOTED = r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"'
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = rf"(?:{_LABEL}(?:\.{_LABEL})+|\[[\x21-\x5a\x5e-\x7e]+\])"
_ADDR_SPEC = re.compile(rf"(?:{_DOT_ATOM}|{_QUOTED})@{_DOMAIN}")
# a display name: printable characters, no angle brackets, no unquoted comma or semicolon
_NAME = re.compile(r'(?:[^\x00-\x1f\x7f<>",;]+|"(?:[^"\\\x00-\x1f\x7f]|\\[\x20-\x7e])*")+')
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


class BadAddress(InvalidArguments):
    """An address field that is not exactly one valid address. The message says why."""


def _shown(value: str) -> str:
    return repr(value[:80] + ("…" if len(value) > 80 else ""))


def _refuse_control(value: str, field: str) -> None:
    if "\r" in value or "\n" in value:
        raise BadAddress(f"{field}: {_shown(value)} contains a line break; an address is one line "
                         "(a line break could add mail headers such as Bcc)")
    if _CONTROL.search(value):
        raise BadAddress(f"{field}: {_shown(value)} contains a control character")


def _one_line(value: object, field: str) -> str:
    """``value`` as a string of one line without control characters, trimmed; else BadAddress."""
    if not isinstance(value, str):
        raise BadAddress(f"{field}: expected one email address, got {type(value).__name__}")
    _refuse_control(value, field)
    return value.strip()


def addr_spec(value: object, field: str) -> str:
    """One bare address (``ana@example.com``), surrounding spaces removed; else BadAddress."""
    text = _one_line(value, field)
    if not text:
        raise BadAddress(f"{field}: the address is empty")
    if len(text) > 254:
        raise BadAddress(f"{field}: {_shown(text)} is longer than 254 characters")
    if _ADDR_SPEC.fullmatch(text):
        if len(text.rpartition("@")[0]) > 64:
            raise BadAddress(f"{field}: the part before @ in {_shown(text)} is longer than 64 characters")
        return text
    if text.count("@") > 1 or any(sep in text for sep in (",", ";")):
        raise BadAddress(f"{field}: {_shown(text)} holds more than one address; give one address "
                         "per field (a list for several recipients)")
    raise BadAddress(f"{field}: {_shown(text)} is not an email address (expected name@domain.example)")


def mailbox(value: object, field: str) -> str:
    """One address, bare or as ``Name <addr-spec>``; returned as given (trimmed)."""
    text = _one_line(value, field)
    if text.endswith(">") and "<" in text:
        name, _, rest = text[:-1].rpartition("<")
        name = name.strip()
        if name and not _NAME.fullmatch(name):
            if any(sep in name for sep in (",", ";", "<", ">", "@")):
                raise BadAddress(f"{field}: {_shown(text)} holds more than one address; give one "
                                 "address per field (a list for several recipients)")
            raise BadAddress(f"{field}: the name in {_shown(text)} is not valid")
        address = addr_spec(rest, field)
        return f"{name} <{address}>" if name else address
    return addr_spec(text, field)


def address_of(value: str) -> str:
    """The addr-spec inside a value ``mailbox`` accepted."""
    return value[:-1].rpartition("<")[2] if value.endswith(">") else value


def addr_specs(values: Iterable[object], field: str) -> list[str]:
    """Each element one bare address; ``field[i]`` names a bad one."""
    return [addr_spec(v, f"{field}[{i}]") for i, v in enumerate(values)]


def mailboxes(values: Iterable[object], field: str) -> list[str]:
    return [mailbox(v, f"{field}[{i}]") for i, v in enumerate(values)]
