"""Master keys from DEPUTY_MASTER_KEY and from the key file."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.vault import Keyring, generate_key, load_keyring

RAW = bytes(range(32))
RAW_B64 = base64.b64encode(RAW).decode()


def test_env_value_lists_keys_active_first() -> None:
    other = base64.urlsafe_b64encode(os.urandom(32)).decode()
    keyring = Keyring.from_env_value(f"k2:{RAW_B64}, k1:{other}")
    assert keyring.active.key_id == "k2"
    assert keyring.key_ids == ["k2", "k1"]
    assert keyring.active.material == RAW


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (RAW_B64, "entry 1 must look like 'k1:"),
        (f"k1:{base64.b64encode(RAW[:16]).decode()}", "must be 32 bytes, got 16"),
        (f"k1:{RAW_B64[:-4]}!!!!", "is not valid base64"),
        (f"k1:{RAW_B64},k1:{RAW_B64}", "entry 2: key id 'k1' appears twice"),
        (f"bad id:{RAW_B64}", "key id 'bad id' must be"),
        (" , ", "holds no key"),
    ],
)
def test_bad_env_value_is_one_clear_line_without_key_material(value: str, expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Keyring.from_env_value(value)
    message = str(caught.value)
    assert message.startswith("DEPUTY_MASTER_KEY")
    assert expected in message
    assert RAW_B64[:12] not in message


async def test_key_file_is_created_on_first_use_with_mode_0600(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = await load_keyring(home, None)
    path = home / "master.keys"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.key_ids == ["k1"] and first.is_file
    again = await load_keyring(home, "")
    assert again.active.material == first.active.material


async def test_env_value_wins_over_key_file(tmp_path: Path) -> None:
    keyring = await load_keyring(tmp_path, f"prod:{RAW_B64}")
    assert keyring.key_ids == ["prod"] and not keyring.is_file
    assert not (tmp_path / "master.keys").exists()


async def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    await load_keyring(tmp_path, None)
    path = tmp_path / "master.keys"
    path.chmod(0o644)
    with pytest.raises(SettingsError) as caught:
        await load_keyring(tmp_path, None)
    message = str(caught.value)
    assert "may be read by group or others (mode 0644)" in message
    assert f"chmod 600 {path}" in message


async def test_add_key_replaces_the_file_atomically_and_other_processes_see_it(
    tmp_path: Path,
) -> None:
    writer = await Keyring.open_file(tmp_path / "master.keys")
    reader = await Keyring.open_file(tmp_path / "master.keys")
    old = writer.active

    added = await writer.add_key()

    assert added.key_id == "k2"
    assert writer.key_ids == ["k2", "k1"]
    assert _names_in(tmp_path) == ["master.keys", "master.keys.lock"]  # no temp file left
    assert stat.S_IMODE((tmp_path / "master.keys").stat().st_mode) == 0o600
    assert await reader.refresh() is True
    assert reader.active.material == added.material
    assert reader.get("k1") is not None and reader.get("k1").material == old.material  # type: ignore[union-attr]


def _names_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_env_keyring_cannot_be_edited_from_the_process() -> None:
    keyring = Keyring([generate_key("k1")])
    with pytest.raises(SettingsError, match="edit the variable"):
        await keyring.add_key()


def test_reprs_never_show_key_material() -> None:
    key = generate_key("k1")
    keyring = Keyring([key])
    encoded = base64.b64encode(key.material).decode()
    for text in (repr(key), str(key), repr(keyring)):
        assert encoded not in text and repr(key.material) not in text
