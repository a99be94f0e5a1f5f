"""Small modules: none in bot/ over 300 lines (docs/architecture.md), so each says one thing."""

from tests.support.paths import REPO_ROOT

MAX_LINES = 300


def test_no_module_in_bot_is_over_300_lines() -> None:
    too_long = {str(path.relative_to(REPO_ROOT)): lines
                for path in sorted((REPO_ROOT / "bot").rglob("*.py"))
                if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert too_long == {}, "split these by responsibility"
