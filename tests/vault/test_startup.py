"""Start-up tells a wrong or missing master key in one line, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import delete, select

from bot.errors import SettingsError
from bot.store.credentials import VaultKeyRow
from bot.store.database import Database
from bot.vault import CredentialStore, Keyring, check_keyring, generate_key, load_keyring
from tests.vault.conftest import SECRET


async def _store_some(database: Database, keyring: Keyring, count: int) -> None:
    store = CredentialStore(database, keyring)
    for n in range(count):
        await store.put(f"slack:T1:U{n}", "crm", {"token": SECRET})


async def test_wrong_master_key_is_detected_at_start(database: Database, keyring: Keyring) -> None:
    await _store_some(database, keyring, 3)
    impostor = Keyring([generate_key("k1")])  # same id, other key material

    with pytest.raises(SettingsError) as caught:
        await check_keyring(database, impostor)

    assert str(caught.value).startswith(
        "DEPUTY_MASTER_KEY does not match the key that encrypted the stored credentials"
    )
    assert "\n" not in str(caught.value)


async def test_wrong_key_is_detected_even_without_a_recorded_check_value(
    database: Database, keyring: Keyring
) -> None:
    await _store_some(database, keyring, 2)
    async with database.session(all_teams=True) as session:
        await session.exec(delete(VaultKeyRow))

    with pytest.raises(SettingsError, match="does not match the key"):
        await check_keyring(database, Keyring([generate_key("k1")]))
    await check_keyring(database, keyring)  # the right key opens a record and is recorded
    async with database.session(all_teams=True) as session:
        assert (await session.exec(select(VaultKeyRow.key_id))).all() == ["k1"]


async def test_missing_master_key_is_named_with_its_count(
    database: Database, keyring: Keyring
) -> None:
    await check_keyring(database, keyring)
    await _store_some(database, keyring, 14)
    await check_keyring(database, keyring)  # a restart with the right key passes
    other = Keyring([generate_key("k2")])

    with pytest.raises(SettingsError) as caught:
        await check_keyring(database, other)

    assert str(caught.value) == (
        "master key 'k1' is needed by 14 credentials but is not configured in DEPUTY_MASTER_KEY"
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_regenerated_key_file_is_detected(database: Database, tmp_path: Path) -> None:
    keyring = await load_keyring(tmp_path, None)
    await check_keyring(database, keyring)
    await _store_some(database, keyring, 1)
    (tmp_path / "master.keys").unlink()  # lost file: first use creates a new k1

    fresh = await load_keyring(tmp_path, None)
    with pytest.raises(SettingsError) as caught:
        await check_keyring(database, fresh)

    assert f"the key file {tmp_path / 'master.keys'} does not match" in str(caught.value)
