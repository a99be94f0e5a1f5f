"""`make lint` runs scripts/check_sizes.py: it must catch a long module and a long function."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_sizes", ROOT / "scripts" / "check_sizes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_repository_keeps_modules_and_functions_small() -> None:
    assert checker().breaches(ROOT) == []


def test_a_long_module_and_a_long_flow_function_are_named(tmp_path: Path) -> None:
    (tmp_path / "bot" / "flow").mkdir(parents=True)
    (tmp_path / "bot" / "long.py").write_text("x = 1\n" * 301)
    lines = "".join(f"    y{i} = {i}\n" for i in range(50))
    fine = "def fine():\n" + lines[: lines.index("    y49")]  # 50 lines: allowed
    (tmp_path / "bot" / "flow" / "steps.py").write_text(fine + "def too_long():\n" + lines)
    found = checker().breaches(tmp_path)
    assert found == [
        "bot/flow/steps.py:51: too_long is 51 lines (at most 50 in bot/flow, bot/execution)",
        "bot/long.py: 301 lines (at most 300): split it",
    ]
