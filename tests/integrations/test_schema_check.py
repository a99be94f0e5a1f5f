"""An action's argument schema is checked against JSON Schema's meta-schema once: a schema that
passed is remembered by its content's hash in the user's cache folder, and a later start with
the same schemas neither checks them nor imports jsonschema. A bad schema is refused at every
start, an edited one is checked again, and a cache that cannot be written changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import ManifestError
from bot.registry.manifest import load_manifest
from bot.registry.schema_check import cache_file

MANIFEST = """name: notes
description: Team notes
auth: none
actions:
  - name: add_note
    description: Add a note
    effect: write
    undo: delete_note
    undo_args: {{id: $result.id}}
    args: {{type: object, properties: {{text: {{type: {kind}}}}}}}
  - name: delete_note
    description: Delete a note
    effect: write
    args: {{type: object, properties: {{id: {{type: integer}}}}}}
"""


def _manifest(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "notes" / "manifest.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(MANIFEST.format(kind=kind))
    return path


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return cache_file()


def test_a_bad_schema_is_refused_every_time_and_an_edited_one_is_checked_again(tmp_path: Path, cache: Path) -> None:
    path = _manifest(tmp_path, "string")
    assert [a.name for a in load_manifest(path).actions] == ["add_note", "delete_note"]
    assert len(cache.read_text().split()) == 2  # both schemas remembered
    _manifest(tmp_path, "5")  # the same manifest, its first schema broken
    for _ in range(2):
        with pytest.raises(ManifestError, match=r"notes/manifest.yaml: invalid JSON schema: 5 is not valid"):
            load_manifest(path)
    assert len(cache.read_text().split()) == 2  # the bad one was not remembered


def test_a_cache_that_cannot_be_written_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "a-file"))
    assert load_manifest(_manifest(tmp_path, "string")).name == "notes"
    with pytest.raises(ManifestError, match="invalid JSON schema"):
        load_manifest(_manifest(tmp_path, "5"))


PROBE = """
import sys
from pathlib import Path
import integrations
from bot.registry.manifest import load_manifest
for path in sorted(Path(integrations.__file__).parent.glob("*/manifest.yaml")):
    load_manifest(path)
print("jsonschema" in sys.modules)
"""


def test_a_start_whose_schemas_were_checked_before_does_not_import_jsonschema(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = [subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120,
                           check=True).stdout.split() for _ in range(2)]
    assert runs == [["True"], ["False"]]
