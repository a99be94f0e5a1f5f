"""Three-valued matching: a condition on a value that is not known yet is UNKNOWN, not false."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class Truth(Enum):
    FALSE = 0
    UNKNOWN = 1
    TRUE = 2


@dataclass(frozen=True)
class Check:
    """One part of a rule's match, evaluated: its truth and the concrete words for a reason."""

    truth: Truth
    text: str = ""


def combine(checks: Iterable[Check]) -> Truth:
    """AND: one FALSE decides; otherwise any UNKNOWN leaves the whole unknown."""
    result = Truth.TRUE
    for check in checks:
        if check.truth is Truth.FALSE:
            return Truth.FALSE
        if check.truth is Truth.UNKNOWN:
            result = Truth.UNKNOWN
    return result
