"""Module-level patterns are compiled at first use (bot/lazy_re.py), so a typo in one would
only show when a goal first needs it: every one of them must compile, and match as
``re.compile`` of the same text and flags does."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.lazy_re import LazyPattern, compile_all, lazy

ROOT = Path(__file__).resolve().parents[1]


def _modules_using_lazy() -> list[str]:
    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if path.name != "lazy_re.py" and "from bot.lazy_re import" in path.read_text():
            found.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return found


def _patterns(value: object, depth: int = 0) -> Iterator[LazyPattern]:
    if isinstance(value, LazyPattern):
        yield value
    elif depth < 3 and isinstance(value, (tuple, list, frozenset, set)):
        for item in value:
            yield from _patterns(item, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in value.values():
            yield from _patterns(item, depth + 1)


MODULES = _modules_using_lazy()


def test_the_rule_planner_and_the_phrases_use_lazy_patterns() -> None:
    assert {"bot.planning.rules.intents", "bot.memory.statements", "bot.scheduling.phrases",
            "bot.redact"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_every_module_level_pattern_compiles(name: str) -> None:
    module = importlib.import_module(name)
    patterns = [p for value in vars(module).values() for p in _patterns(value)]
    assert patterns, f"{name} imports lazy but holds no module-level pattern"
    for pattern in patterns:
        assert pattern.compiled.pattern == pattern.pattern
        assert pattern.compiled.flags == re.compile(pattern.pattern, pattern.flags).flags


def test_a_lazy_pattern_matches_as_the_compiled_one() -> None:
    eager = re.compile(r"(?P<n>\d+)\s*(?P<unit>h|min)\b", re.I)
    deferred = lazy(r"(?P<n>\d+)\s*(?P<unit>h|min)\b", re.I)
    text = "45 MIN with Ben, then 2h alone; 3 days"
    assert deferred._compiled is None  # nothing compiled until it is used
    found = deferred.search(text)
    assert found is not None and found.groupdict() == {"n": "45", "unit": "MIN"}
    assert deferred._compiled is not None
    assert deferred.match(text) is not None and deferred.fullmatch(text) is None
    assert [m.span() for m in deferred.finditer(text)] == [m.span() for m in eager.finditer(text)]
    assert deferred.findall(text) == eager.findall(text)
    assert deferred.sub("X", text) == eager.sub("X", text)
    assert deferred.subn(lambda m: m["n"], text) == eager.subn(lambda m: m["n"], text)
    assert deferred.split(text) == eager.split(text)
    assert deferred.groupindex == dict(eager.groupindex)


def test_a_broken_pattern_fails_at_its_first_use() -> None:
    broken = lazy(r"(unclosed")
    with pytest.raises(re.error):
        broken.search("x")


def test_compile_all_compiles_what_is_not_compiled_yet_and_leaves_a_broken_one_to_its_use() -> None:
    waiting, broken = lazy(r"wait(ing)?"), lazy(r"(still unclosed")
    used = lazy(r"used")
    used.search("x")
    assert compile_all() >= 1
    assert waiting._compiled is not None and used._compiled is not None and broken._compiled is None
    assert compile_all() == 0  # nothing left but the broken one
    with pytest.raises(re.error):
        broken.search("x")
