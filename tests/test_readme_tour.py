"""The README's shell tour is what the shell does: each `you>` line is typed into a shell
session on a fresh home, and every other line of the tour must appear in what it printed,
in order ("…" stands for what varies: dates, amounts, previews)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.app import Deputy
from bot.settings import load_settings
from bot.store.database import Database
from tests.core.conftest import make_app
from tests.support.chat import Chat
from tests.support.paths import REPO_ROOT


def tour() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A one-minute tour of the shell"):]
    block = re.search(r"```text\n(.*?)```", section, re.S)
    assert block, "the tour's text block is missing"
    return block.group(1).splitlines()


def _found(expected: str, printed: list[str], start: int) -> int | None:
    """Index of the first printed line at or after ``start`` holding ``expected``'s pieces."""
    # column widths follow the data: compare with runs of spaces made one
    pieces = [" ".join(p.split()) for p in expected.split("…") if p.strip()]
    for index in range(start, len(printed)):
        at = 0
        line = " ".join(printed[index].split())
        for piece in pieces:
            at = line.find(piece, at)
            if at < 0:
                break
            at += len(piece)
        else:
            return index
    return None


async def test_the_readme_tour_works_as_written(database: Database, tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "home", timezone="Europe/London")
    app: Deputy = await make_app(database, settings)
    chat = Chat(app, user="Dev")
    printed: list[str] = []
    position = 0
    lines = tour()
    assert lines[0] == "$ make run" and any(line == "you> demo" for line in lines)
    for line in lines[1:]:
        if line.startswith("you> "):
            said = await chat.say(line.removeprefix("you> ").split("  #")[0].strip())
            printed += said.splitlines()
            continue
        if not line.strip(" …"):
            continue
        found = _found(line, printed, position)
        assert found is not None, f"the README shows {line!r}, the shell printed:\n" + "\n".join(printed[position:])
        position = found + 1
