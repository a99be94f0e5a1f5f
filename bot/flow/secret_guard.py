"""Spots secrets pasted into a channel, so Deputy warns instead of storing them in a goal."""

from __future__ import annotations

import math
import re
from collections import Counter

# shapes of well-known credentials (prefixes are public documentation of each provider)
_PATTERNS = [
    re.compile(r"\b(sk|rk)_(live|test)_[A-Za-z0-9]{16,}\b"),  # Stripe
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),  # Slack tokens
    re.compile(r"\bxapp-[A-Za-z0-9-]{10,}\b"),  # Slack app-level token
    re.compile(r"\bpat-[a-z]{2,4}\d?-[0-9a-f-]{20,}\b"),  # HubSpot private app token
    re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}\b"),  # Anthropic
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),  # GitHub
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\b(password|passwd|pwd|api[_-]?key|secret|token)\s*[:=]\s*\S{6,}", re.IGNORECASE),
]


def _entropy(token: str) -> float:
    counts = Counter(token)
    return -sum(c / len(token) * math.log2(c / len(token)) for c in counts.values())


def looks_like_secret(text: str) -> bool:
    if any(p.search(text) for p in _PATTERNS):
        return True
    # a long random-looking token (mixed classes, high entropy) is most likely a key
    for token in re.findall(r"[A-Za-z0-9+/_\-]{32,}", text):
        classes = sum(bool(re.search(c, token)) for c in (r"[a-z]", r"[A-Z]", r"\d"))
        if classes == 3 and _entropy(token) > 4.0:
            return True
    return False


WARNING = ("That message looks like it contains a secret (a key, token or password). I did not "
           "store it or act on it. Please delete the message, revoke that secret if others can "
           "see the channel, and use `connect INTEGRATION` to give it to me privately.")
