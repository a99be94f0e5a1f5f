"""One hand-made mutation of a guard, and whether the tests that should catch it do.

    .venv/bin/python scripts/mutate.py ID FILE OLD NEW -- PYTEST ARGS...

Replaces the one occurrence of OLD in FILE by NEW, runs ``pytest -q -x`` with the given
arguments, puts FILE back byte for byte (whatever happened), and prints one line: the
mutation, FILE:LINE, and CAUGHT by which test or SURVIVED. See docs/testing.md.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if "--" not in argv or len(argv[:argv.index("--")]) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    mid, path, old, new = argv[:4]
    args = argv[argv.index("--") + 1:]
    file = Path(path)
    source = file.read_text()
    if source.count(old) != 1:
        print(f"{mid}: OLD occurs {source.count(old)} times in {path}, not once", file=sys.stderr)
        return 2
    line = source[:source.index(old)].count("\n") + 1
    file.write_text(source.replace(old, new))
    try:
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                              "-p", "no:randomly", *args], capture_output=True, text=True, check=False)
    finally:
        file.write_text(source)
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", run.stdout, re.MULTILINE)
    if run.returncode == 1 and failed:
        result = f"CAUGHT by {failed[0]}"
    elif run.returncode == 0:
        result = "SURVIVED"
    else:
        result = f"pytest exit {run.returncode}: {(run.stdout.strip().splitlines() or [''])[-1]}"
    print(f"{mid}\t{path}:{line}\t{old.strip()[:70]!r} -> {new.strip()[:70]!r}\t{result}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
