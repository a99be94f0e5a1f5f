"""Removes secrets from data before it is kept or shown (audit records, logs, exports).

Two nets, because neither alone is enough: a value stored under a key that names a secret
(``password``, ``api_key``, ``Authorization`` …) is replaced whatever it looks like, and a
string anywhere that has the shape of a known credential (Slack, Anthropic, Stripe, GitHub,
AWS, HubSpot, JWTs, bearer headers, URLs with a password) is cut out of the text, so a token
pasted into a CRM note or echoed in an error message does not survive either.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from bot.lazy_re import lazy

REDACTED = "[REDACTED]"

# a key is secret when one of these words is a part of it (api_key, X-Api-Key, client_secret)
_SECRET_KEY_WORDS = (
    "password", "passwd", "passphrase", "secret", "token", "api_key", "apikey", "api-key",
    "authorization", "auth_header", "credential", "private_key", "privatekey", "cookie",
    "session_key", "signing_key", "master_key", "access_key",
)
# whole keys that are secret only on their own ("key" alone, but not "idempotency_key")
_SECRET_KEYS = frozenset({"key_material", "pin", "otp", "cvc", "cvv", "card_number", "ssn"})
# keys that contain a secret word but hold no secret (counts and ids the audit needs)
_NOT_SECRET_KEYS = frozenset({"idempotency_key", "tokens", "input_tokens", "output_tokens",
                              "cache_read_input_tokens", "cache_creation_input_tokens",
                              "token_count", "max_tokens"})

# not preceded by a letter or digit, so "task-…" is not taken for an "sk-…" key
_SECRET_SHAPES = lazy(r"(?<![A-Za-z0-9_])(?:" + "|".join((
        r"xox[abposre]-[A-Za-z0-9-]{10,}",                    # Slack bot/user/app tokens
        r"xapp-\d-[A-Za-z0-9-]{10,}",                         # Slack app-level tokens
        r"sk-ant-[A-Za-z0-9_-]{10,}",                         # Anthropic
        r"sk-(?:proj-)?[A-Za-z0-9_-]{20,}",                   # OpenAI-style keys
        r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}",       # Stripe keys
        r"whsec_[A-Za-z0-9]{10,}",                            # Stripe webhook secrets
        r"gh[pousr]_[A-Za-z0-9]{20,}",                        # GitHub tokens
        r"github_pat_[A-Za-z0-9_]{20,}",
        r"(?:AKIA|ASIA)[0-9A-Z]{16}",                         # AWS access key ids
        r"pat-(?:na|eu)\d-[0-9a-f-]{20,}",                    # HubSpot private app tokens
        r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",  # JWTs
        r"[MN][A-Za-z\d]{23,25}\.[\w-]{6}\.[\w-]{27,}",       # Discord bot tokens
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
    )) + ")")
# "Bearer abc…" / "Basic abc…": keep the scheme, drop the credential
_AUTH_SCHEME = lazy(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
# scheme://user:password@host: keep the user and host
_URL_PASSWORD = lazy(r"([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+(@)", re.IGNORECASE)


# a token this long, of upper and lower case letters and digits, with high entropy, is most
# likely a key even when its provider's shape is unknown (ids and hashes are one case or hex)
_LONG_TOKEN = lazy(r"[A-Za-z0-9+/_\-]{32,}")


def looks_random(token: str) -> bool:
    if len(token) < 32:
        return False
    classes = sum(bool(re.search(c, token)) for c in (r"[a-z]", r"[A-Z]", r"\d"))
    if classes < 3:
        return False
    counts = Counter(token)
    entropy = -sum(c / len(token) * math.log2(c / len(token)) for c in counts.values())
    return entropy > 4.0


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    # cached: an audit record asks it of the same few keys again and again (run, step, args…)
    lowered = key.lower()
    if lowered in _NOT_SECRET_KEYS:
        return False
    if lowered in _SECRET_KEYS:
        return True
    normalised = lowered.replace("-", "_")
    return any(word in lowered or word in normalised for word in _SECRET_KEY_WORDS)


# no secret shape is shorter (the shortest, a URL's password: "a://b:c@")
_SHORTEST_SECRET = 8


def redact_text(text: str) -> str:
    """The text with every secret-shaped part replaced by ``[REDACTED]``."""
    if len(text) < _SHORTEST_SECRET:
        return text
    text = _SECRET_SHAPES.sub(REDACTED, text)
    text = _AUTH_SCHEME.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(2)}", text)


def redact(value: Any) -> Any:
    """A copy of ``value`` (JSON-like data) with secrets removed; the input is not changed."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: (REDACTED if isinstance(k, str) and is_secret_key(k) and v not in (None, "")
                    else redact(v))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def redact_log_text(text: str) -> str:
    """Stricter than :func:`redact_text`, for logs: long random-looking tokens go too, so a key
    of an unknown shape in a request body logged at DEBUG does not survive."""
    return _LONG_TOKEN.sub(lambda m: REDACTED if looks_random(m[0]) else m[0], redact_text(text))


class RedactingFilter(logging.Filter):
    """A logging filter that cuts secret-shaped text out of every record's message, for
    handlers of structured or plain logs (add it to the handler, not a logger, so records
    from every library pass through it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_log_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
