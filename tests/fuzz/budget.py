"""How hard the fuzzers try: small and seeded by default (CI), larger on request.

``DEPUTY_FUZZ_EXAMPLES=N`` sets the examples per fuzz test (default 60);
``DEPUTY_FUZZ_SEED=S`` picks another reproducible sequence. Every test counts the cases it
tried, by outcome, in a tally printed at the end of the session (tests/support/tallies.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, seed, settings

F = TypeVar("F", bound=Callable[..., Any])

EXAMPLES = int(os.environ.get("DEPUTY_FUZZ_EXAMPLES", "60"))
SEED = int(os.environ.get("DEPUTY_FUZZ_SEED", "11"))


def fuzz(test: F) -> F:
    """Hypothesis settings for a fuzz test: N examples, fixed seed, no deadline (the machine
    may be busy), no example database (a run must not depend on an earlier one)."""
    configured = settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.filter_too_much])(test)
    return seed(SEED)(configured)


class ErrorLog(logging.Handler):
    """Collects ERROR records from the given loggers: a handled-but-logged crash counts too."""

    def __init__(self, *names: str) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.names = names

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> ErrorLog:
        for name in self.names:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self.names:
            logging.getLogger(name).removeHandler(self)
