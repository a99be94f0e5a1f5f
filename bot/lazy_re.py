"""Regular expressions compiled at their first use, not when their module is imported.

The rule planner, the memory and monitor phrases and a few chat helpers hold a few hundred
module-level patterns; compiling them all at import cost ~0.13 s of every start, though most
processes (and the shell before its first goal) use none of them. ``lazy(r"...", re.I)``
stands where ``re.compile(r"...", re.I)`` stood: same pattern text, same flags, same
matching — the compiled :class:`re.Pattern` is built (and kept) the first time one of these
methods is called. ``re``'s own cache is not relied on (it holds 512 patterns at most).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from typing import Any


class LazyPattern:
    """The subset of :class:`re.Pattern` Deputy's code uses, compiled on first call."""

    __slots__ = ("_compiled", "flags", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.pattern, self.flags)
        return compiled

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.search(string, pos, endpos)

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.match(string, pos, endpos)

    def fullmatch(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.fullmatch(string, pos, endpos)

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(string, pos, endpos)

    def findall(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        return self.compiled.findall(string, pos, endpos)

    def split(self, string: str, maxsplit: int = 0) -> list[str | Any]:
        return self.compiled.split(string, maxsplit)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        return self.compiled.sub(repl, string, count)

    def subn(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> tuple[str, int]:
        return self.compiled.subn(repl, string, count)

    @property
    def groupindex(self) -> dict[str, int]:
        return dict(self.compiled.groupindex)

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r}, {self.flags!r})"


def lazy(pattern: str, flags: int = 0) -> LazyPattern:
    """``re.compile(pattern, flags)``, deferred to the pattern's first use."""
    made = LazyPattern(pattern, flags)
    _MADE.append(made)
    return made


# every pattern made so far (module-level ones: they live as long as the process anyway)
_MADE: list[LazyPattern] = []


def compile_all() -> int:
    """Compile every pattern made so far that is not compiled yet; how many it compiled. The
    shell calls it while the person types the first line (in a thread: compiling the same
    pattern twice in two threads is harmless, the second result is kept), so the first goal
    finds the rule planner's ~80 patterns ready instead of compiling them."""
    count = 0
    for made in list(_MADE):
        if made._compiled is None:
            try:
                made.compiled  # noqa: B018 - compiles and keeps it
            except re.error:
                continue  # left to fail at its first use, as without this
            count += 1
    return count
