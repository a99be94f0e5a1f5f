"""Rotation rewraps data keys in committed batches; retire refuses a key still in use."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlmodel import select

from bot.errors import SettingsError, UserError
from bot.store.credentials import CredentialRow, VaultKeyRow
from bot.store.database import Database
from bot.vault import (
    CredentialStore,
    KeyInUse,
    Keyring,
    check_keyring,
    generate_key,
    list_keys,
    load_keyring,
    retire,
    rotate,
)
from tests.vault.conftest import SECRET

COUNT = 12


def _owner(n: int) -> str:
    return f"slack:T1:U{n}"


async def _fill(store: CredentialStore) -> None:
    for n in range(COUNT):
        await store.put(_owner(n), "crm", {"token": f"{SECRET}-{n}"})


async def _all_readable(database: Database, keyring: Keyring) -> None:
    store = CredentialStore(database, keyring)
    for n in range(COUNT):
        assert await store.get(_owner(n), "crm") == {"token": f"{SECRET}-{n}"}


async def _rows(database: Database) -> dict[str, CredentialRow]:
    async with database.session(all_teams=True) as session:
        return {r.id: r for r in (await session.exec(select(CredentialRow))).all()}


async def test_rotation_adds_a_key_and_rewraps_only_the_data_keys(
    database: Database, tmp_path: Path
) -> None:
    keyring = await load_keyring(tmp_path, None)
    await _fill(CredentialStore(database, keyring))
    before = await _rows(database)

    report = await rotate(database, keyring, batch_size=5)

    assert (report.added_key_id, report.active_key_id) == ("k2", "k2")
    assert (report.rewrapped, report.batches, report.remaining) == (COUNT, 3, {})
    after = await _rows(database)
    for row_id, row in after.items():
        assert row.key_id == "k2"
        assert row.payload == before[row_id].payload
        assert row.wrapped_key != before[row_id].wrapped_key
    # a process restarted after the rotation reads everything from the file alone
    await _all_readable(database, await load_keyring(tmp_path, None))


async def test_interrupted_rotation_stays_readable_and_rerun_finishes(
    database: Database, tmp_path: Path
) -> None:
    keyring = await load_keyring(tmp_path, None)
    await _fill(CredentialStore(database, keyring))

    async def crash_after_first_batch(done: int) -> None:
        # mid-rotation, a process started now (keys from the file) reads every record
        await _all_readable(database, await load_keyring(tmp_path, None))
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        await rotate(database, keyring, batch_size=5, after_batch=crash_after_first_batch)

    restarted = await load_keyring(tmp_path, None)
    await check_keyring(database, restarted)
    assert await CredentialStore(database, restarted).needed_key_ids() == {"k1": 7, "k2": 5}
    await _all_readable(database, restarted)

    report = await rotate(database, restarted, batch_size=5)

    assert report.added_key_id is None  # finishes the pending rotation, no third key
    assert (report.active_key_id, report.rewrapped, report.remaining) == ("k2", 7, {})
    await _all_readable(database, restarted)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_cancelled_rotation_stays_readable_and_rerun_finishes(
    database: Database, keyring: Keyring
) -> None:
    await _fill(CredentialStore(database, keyring))
    with pytest.raises(SettingsError, match="master key 'k1' is needed by 12 credentials"):
        await rotate(database, Keyring([generate_key("k2")]))  # old key left out by mistake
    rotated = Keyring([generate_key("k2"), keyring.active])  # operator put k2 first
    first_batch_done = asyncio.Event()

    async def stall(done: int) -> None:
        first_batch_done.set()
        await asyncio.sleep(3600)

    task = asyncio.create_task(rotate(database, rotated, batch_size=4, after_batch=stall))
    await asyncio.wait_for(first_batch_done.wait(), timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await CredentialStore(database, rotated).needed_key_ids() == {"k1": 8, "k2": 4}
    await _all_readable(database, rotated)
    report = await rotate(database, rotated, batch_size=4)
    assert (report.rewrapped, report.remaining) == (8, {})
    await _all_readable(database, rotated)
    # keys from DEPUTY_MASTER_KEY: with nothing pending, rotate cannot invent a key
    again = await rotate(database, rotated)
    assert (again.added_key_id, again.rewrapped, again.active_key_id) == (None, 0, "k2")


async def test_retire_refuses_while_in_use_then_succeeds(
    database: Database, tmp_path: Path
) -> None:
    keyring = await load_keyring(tmp_path, None)
    await _fill(CredentialStore(database, keyring))
    await keyring.add_key()  # k2 active, but nothing rotated yet

    with pytest.raises(KeyInUse) as caught:
        await retire(database, keyring, "k1")
    assert str(caught.value).startswith("master key 'k1' still protects 12 credentials")
    with pytest.raises(UserError, match="is the active key"):
        await retire(database, keyring, "k2")
    assert "k1:" in (tmp_path / "master.keys").read_text()

    await rotate(database, keyring)
    message = await retire(database, keyring, "k1")

    assert "retired and removed from the key file" in message
    assert keyring.key_ids == ["k2"]
    assert "\nk1:" not in (tmp_path / "master.keys").read_text()
    async with database.session(all_teams=True) as session:
        recorded = (await session.exec(select(VaultKeyRow.key_id))).all()
    assert list(recorded) == ["k2"]
    statuses = await list_keys(database, await load_keyring(tmp_path, None))
    assert [(s.key_id, s.active, s.credentials) for s in statuses] == [("k2", True, COUNT)]
    await _all_readable(database, await load_keyring(tmp_path, None))
    with pytest.raises(UserError, match="no master key 'k1'"):
        await retire(database, keyring, "k1")
