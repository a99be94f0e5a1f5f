"""`deputy memory …` as an operator uses it: import, list, export and erase per person, forget."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run

ANA, BEN = "slack:T1:U1", "slack:T1:U2"


def _memory(text: str, taught_by: str, scope: str = "channel", scope_key: str = "C1") -> dict[str, str]:
    return {"team_key": "slack:T1", "scope": scope, "scope_key": scope_key, "subject": text.split()[0].lower(),
            "text": text, "taught_by": taught_by, "taught_by_name": taught_by[-2:]}


def test_an_operator_exports_and_erases_one_persons_memories(deputy: Run, tmp_path: Path) -> None:
    file = tmp_path / "memories.json"
    file.write_text(json.dumps([_memory("standups are 15 minutes", ANA), _memory("Globex pays net-45", BEN),
                                _memory("Ana prefers mornings", BEN, "person", ANA),
                                _memory("retros are 60 minutes", BEN)]))
    assert deputy("memory", "import", str(file)) == "Imported 4 memories from memories.json."
    assert len(deputy("memory", "list").splitlines()) == 4

    exported = json.loads(deputy("memory", "export", "--person", ANA))
    # what Ana taught, and what is hers although Ben taught it
    assert [m["text"] for m in exported] == ["standups are 15 minutes", "Ana prefers mornings"]

    assert deputy("memory", "forget", "--person", ANA) == f"Erased 2 memories of {ANA}, history included."
    assert json.loads(deputy("memory", "export", "--person", ANA)) == []
    assert [m["text"] for m in json.loads(deputy("memory", "list", "--json"))] == [
        "Globex pays net-45", "retros are 60 minutes"]
    assert deputy("memory", "forget", "--person", ANA, code=1) == f"deputy: There is no memory of {ANA}."


def test_forget_one_keeps_it_in_history(deputy: Run, tmp_path: Path) -> None:
    file = tmp_path / "m.json"
    file.write_text(json.dumps([_memory("Globex pays net-45", BEN)]))
    deputy("memory", "import", str(file))
    assert deputy("memory", "forget", "1") == "Forgotten: #1 “Globex pays net-45”."
    assert deputy("memory", "list") == "No memories."
    assert "forgotten" in deputy("memory", "list", "--history")
    assert deputy("memory", "forget", "9", code=1) == "deputy: There is no memory #9."
    assert deputy("memory", "forget", code=2).endswith("give a memory ID or --person ACTOR_KEY (not both)")
    file.write_text("[{\"text\": 3}]")
    assert deputy("memory", "import", str(file), code=1).startswith("deputy: ")
