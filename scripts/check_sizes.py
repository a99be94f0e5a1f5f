"""Small modules and short functions, checked by `make lint` (so CI enforces them):

- no module in bot/ over 300 lines;
- no function over 50 lines (signature to last line) in bot/flow/ and bot/execution/.

Run: python scripts/check_sizes.py [ROOT]; prints each breach and exits 1 when any."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50
SHORT_FUNCTIONS_IN = ("bot/flow", "bot/execution")


def breaches(root: Path) -> list[str]:
    found = []
    for path in sorted((root / "bot").rglob("*.py")):
        name = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            found.append(f"{name}: {lines} lines (at most {MAX_MODULE_LINES}): split it")
        if not name.startswith(SHORT_FUNCTIONS_IN):
            continue
        for node in ast.walk(ast.parse(text, filename=name)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{name}:{node.lineno}: {node.name} is {length} lines "
                                 f"(at most {MAX_FUNCTION_LINES} in {', '.join(SHORT_FUNCTIONS_IN)})")
    return found


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    found = breaches(root)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
