"""Spots secrets pasted into a channel, so Deputy warns instead of storing them in a goal."""

from __future__ import annotations

import math
import re
from collections import Counter

from bot.redact import redact_text

# besides the credential shapes the redactor knows: "password: …"-style assignments
_ASSIGNMENT = re.compile(r"\b(password|passwd|pwd|api[_-]?key|secret|token)\s*[:=]\s*\S{6,}", re.IGNORECASE)


def _entropy(token: str) -> float:
    counts = Counter(token)
    return -sum(c / len(token) * math.log2(c / len(token)) for c in counts.values())


def looks_like_secret(text: str) -> bool:
    if redact_text(text) != text or _ASSIGNMENT.search(text):
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
