"""Credentials are encrypted at rest, bound to their record, and never leak in clear."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store import credentials
from bot.store.credentials import CredentialRow
from bot.store.database import Database
from bot.vault import CredentialStore, CredentialUnreadable, Keyring
from tests.vault.conftest import SECRET

# for tests where the database engine makes no difference to what is checked
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ALICE = "slack:T1:U1"
BOB = "slack:T1:U2"


async def test_round_trip_replace_list_and_delete(store: CredentialStore) -> None:
    first_id = await store.put(ALICE, "crm", {"token": SECRET, "portal": "42"})
    assert await store.get(ALICE, "crm") == {"token": SECRET, "portal": "42"}
    assert await store.get(BOB, "crm") is None

    second_id = await store.put(ALICE, "crm", {"token": "rotated-by-user"})
    assert second_id == first_id
    assert await store.get(ALICE, "crm") == {"token": "rotated-by-user"}

    await store.put(ALICE, "calendar", {"password": "pw"})
    listed = await store.list_for(ALICE)
    assert [(c.integration, c.key_id) for c in listed] == [("calendar", "k1"), ("crm", "k1")]
    assert listed[1].updated_at >= listed[1].created_at
    assert "rotated-by-user" not in repr(listed)
    assert await store.needed_key_ids() == {"k1": 2}

    # two first connections racing: one row survives, holding one of the two secrets
    await asyncio.gather(*(store.put(BOB, "email", {"password": p}) for p in ("one", "two")))
    assert await store.get(BOB, "email") in ({"password": "one"}, {"password": "two"})
    assert len(await store.list_for(BOB)) == 1

    assert await store.delete(ALICE, "crm") is True
    assert await store.delete(ALICE, "crm") is False
    assert await store.get(ALICE, "crm") is None


@sqlite_only
async def test_non_string_fields_are_refused_without_echoing_the_value(
    store: CredentialStore,
) -> None:
    with pytest.raises(ValueError) as caught:
        await store.put(ALICE, "crm", {"token": 12345678})  # type: ignore[dict-item]
    assert "'token'" in str(caught.value) and "12345678" not in str(caught.value)


async def test_secret_is_never_stored_in_clear(
    store: CredentialStore, database: Database, database_url: str
) -> None:
    await store.put(ALICE, "crm", {"token": SECRET})
    forms = [SECRET.encode(), SECRET.encode().hex().encode(), SECRET[8:20].encode()]
    if database.is_sqlite:
        await database.dispose()  # closes connections so the WAL is checkpointed too
        path = Path(database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert b"crm" in raw and ALICE.encode() in raw  # the file really holds the row
    else:
        async with database.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT row_to_json(c)::text FROM credentials c"))).all()
        raw = "\n".join(r[0] for r in rows).encode()
        assert b"crm" in raw
    for form in forms:
        assert form not in raw


async def _raw_row(database: Database, owner: str, integration: str) -> CredentialRow:
    async with database.session(all_teams=True) as session:
        row = await credentials.credential_of(session, owner, integration)
        assert row is not None
        session.expunge(row)
    return row


async def _overwrite(database: Database, row_id: str, **values: object) -> None:
    async with database.session(all_teams=True) as session:
        row = await session.get(CredentialRow, row_id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)


async def test_ciphertext_moved_to_another_row_does_not_decrypt(
    store: CredentialStore, database: Database
) -> None:
    await store.put(ALICE, "crm", {"token": SECRET})
    stolen = await _raw_row(database, ALICE, "crm")
    for target in [(BOB, "crm"), (ALICE, "calendar")]:  # another owner; another integration
        await store.put(*target, {"token": "theirs"})
        victim = await _raw_row(database, *target)

        await _overwrite(database, victim.id, wrapped_key=stolen.wrapped_key, payload=stolen.payload)

        with pytest.raises(CredentialUnreadable) as caught:
            await store.get(*target)
        assert "cannot be decrypted" in str(caught.value)
        assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
    assert await store.get(ALICE, "crm") == {"token": SECRET}


async def test_a_row_relabelled_to_another_owner_does_not_decrypt(
    store: CredentialStore, database: Database
) -> None:
    # someone who can write to the database gives Alice's stored row to Bob: the payload is
    # bound to its owner, so Bob's plans do not run with Alice's account
    await store.put(ALICE, "crm", {"token": SECRET})
    row = await _raw_row(database, ALICE, "crm")
    await _overwrite(database, row.id, owner_key=BOB)
    with pytest.raises(CredentialUnreadable) as caught:
        await store.get(BOB, "crm")
    assert SECRET not in str(caught.value)


async def test_tampered_ciphertext_fails(store: CredentialStore, database: Database) -> None:
    for column in ("payload", "wrapped_key"):
        await store.put(ALICE, column, {"token": SECRET})
        row = await _raw_row(database, ALICE, column)
        sealed = bytearray(getattr(row, column))
        sealed[-20] ^= 0x01
        await _overwrite(database, row.id, **{column: bytes(sealed)})

        with pytest.raises(CredentialUnreadable):
            await store.get(ALICE, column)


@sqlite_only
async def test_wrong_key_id_claimed_by_a_row_fails(database: Database) -> None:
    keyring = Keyring.from_env_value("k2:" + "A" * 43 + "=,k1:" + "B" * 43 + "=")
    store = CredentialStore(database, keyring)
    await store.put(ALICE, "crm", {"token": SECRET})
    row = await _raw_row(database, ALICE, "crm")
    # the wrapped key names its master key id in its associated data
    await _overwrite(database, row.id, key_id="k1")
    with pytest.raises(CredentialUnreadable):
        await store.get(ALICE, "crm")


@sqlite_only
async def test_secret_absent_from_logs_reprs_and_errors(
    store: CredentialStore, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await store.put(ALICE, "crm", {"token": SECRET})
    fields = await store.get(ALICE, "crm")
    assert fields is not None and fields["token"] == SECRET
    row = await _raw_row(database, ALICE, "crm")
    await _overwrite(database, row.id, payload=row.payload[:-1] + bytes([row.payload[-1] ^ 1]))
    with pytest.raises(CredentialUnreadable) as caught:
        await store.get(ALICE, "crm")

    assert "vault: stored the crm credential" in caplog.text  # logging did happen
    assert "failed authentication" in caplog.text
    for shown in (caplog.text, repr(fields), str(fields), f"{fields}", repr(store),
                  str(caught.value), repr(caught.value), repr(row)):
        assert SECRET not in shown
    assert repr(fields) == "SecretFields(token=***)"
