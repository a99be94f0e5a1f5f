"""The audit chain is keyed: each record's hash is an HMAC under a key derived from the
keyring. Someone with write access to the database but not the keys who rewrites a record
and recomputes every later hash is caught by `verify` without any saved head."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from bot.app import Deputy
from bot.audit_cli import reseal_audit, verify_audit
from bot.settings import load_settings
from bot.store import audit
from bot.store.audit_verify import reseal, verify
from bot.store.database import Database
from bot.store.tables import AuditRow
from bot.vault import Keyring, generate_key
from bot.vault.admin import retire
from bot.vault.audit_key import AuditKeys
from bot.vault.keyring import load_keyring
from tests.support.chat import Chat

K1, K2 = generate_key("k1"), generate_key("k2")


async def rows(database: Database) -> list[AuditRow]:
    async with database.session(all_teams=True) as session:
        return list(await session.exec(select(AuditRow).order_by(col(AuditRow.seq))))


async def rechain_from(database: Database, seq: int, new_data: dict[str, object], *,
                       key: bytes | None = None) -> None:
    """What an attacker with database access does: edit record ``seq`` and recompute the hash
    of it and of every later record, keeping each record's key_id, with the key they have."""
    prev = None
    async with database.engine.begin() as conn:
        for row in await rows(database):
            if row.seq == seq:
                row.data = new_data
            if row.seq is not None and row.seq >= seq:
                assert prev is not None
                row.prev_hash = prev
                row.hash = audit.record_hash(prev, row.at, row.kind, row.actor_key, row.goal_id,
                                             row.data, key, row.team_key)
                await conn.execute(text("UPDATE audit_log SET data = :d, prev_hash = :p, hash = :h WHERE seq = :s"),
                                   {"d": json.dumps(row.data), "p": row.prev_hash, "h": row.hash, "s": row.seq})
            prev = row.hash


async def checked(database: Database, keys: AuditKeys | None) -> tuple[bool, str]:
    async with database.session(all_teams=True) as session:
        report = await verify(session, keys=keys)
    return report.ok, report.summary()


@pytest.fixture
def keys(database: Database) -> AuditKeys:
    found = AuditKeys(Keyring([K1]))
    database.audit_keys = found  # as build_app does with the process's keyring
    return found


async def test_a_rechained_log_is_caught_without_a_saved_head(chat: Chat, deputy: Deputy, keys: AuditKeys,
                                                              database: Database) -> None:
    await chat.say("chase overdue invoices")
    assert "✓ Run 1: Done" in await chat.say("approve")
    log = await rows(database)
    assert len(log) > 5 and all(r.key_id == "k1" for r in log)
    assert await checked(database, keys) == (True, f"audit log intact: {len(log)} records, head {log[-1].hash}")
    approval = next(r for r in log if r.kind == "approve")
    assert approval.seq is not None

    # rewrite who approved, recomputing every later hash the way a SHA-256 chain allows
    forged = {**approval.data, "fingerprint": "0" * 64}
    await rechain_from(database, approval.seq, forged)
    ok, summary = await checked(database, keys)
    assert not ok and f"first bad record {approval.seq}" in summary and "is not keyed" not in summary
    assert "content does not match its hash" in summary  # key_id k1 kept: the HMAC fails

    # ... or relabelled as plain SHA-256 records: not keyed, so not accepted either
    async with database.engine.begin() as conn:
        await conn.execute(text("UPDATE audit_log SET key_id = NULL WHERE seq >= :s"), {"s": approval.seq})
    ok, summary = await checked(database, keys)
    assert not ok and "is not keyed" in summary and f"first bad record {approval.seq}" in summary

    # ... or re-signed with a key the attacker made up: the keyring's key does not match it
    await rechain_from(database, approval.seq, forged, key=hashlib.sha256(b"guess").digest())
    assert not (await checked(database, keys))[0]


async def test_without_a_key_the_same_rechain_would_pass(database: Database) -> None:
    # the unkeyed chain Deputy had before: this is the attack the key closes
    for i in range(4):
        async with database.session(all_teams=True) as session:
            await audit.append(session, "call", data={"step": i})
    await rechain_from(database, 2, {"step": "forged"})
    assert (await checked(database, None))[0]
    assert not (await checked(database, AuditKeys(Keyring([K1]))))[0]


async def test_reseal_signs_an_old_log_once_it_checks_out(database: Database) -> None:
    for i in range(3):
        async with database.session(all_teams=True) as session:
            await audit.append(session, "call", data={"step": i})  # unkeyed, as before the upgrade
    keys = AuditKeys(Keyring([K1]))
    assert not (await checked(database, keys))[0]
    async with database.session(all_teams=True) as session:
        assert await reseal(session, keys) == 3
    assert (await checked(database, keys))[0] and {r.key_id for r in await rows(database)} == {"k1"}

    # a log that does not check out is not re-signed: nothing changes
    async with database.engine.begin() as conn:
        await conn.execute(text("UPDATE audit_log SET actor_key = 'mallory' WHERE seq = 2"))
    before = [(r.hash, r.key_id) for r in await rows(database)]
    with pytest.raises(ValueError, match="record 2"):
        async with database.session(all_teams=True) as session:
            await reseal(session, keys)
    assert [(r.hash, r.key_id) for r in await rows(database)] == before


async def test_rotation_old_records_verify_until_resealed_then_the_old_key_retires(database: Database) -> None:
    database.audit_keys = AuditKeys(Keyring([K1]))
    async with database.session(all_teams=True) as session:
        await audit.append(session, "call", data={"step": 1})
    rotated = Keyring([K2, K1])  # k2 active, k1 kept
    database.audit_keys = keys = AuditKeys(rotated)
    async with database.session(all_teams=True) as session:
        await audit.append(session, "call", data={"step": 2})
    assert [r.key_id for r in await rows(database)] == ["k1", "k2"]
    assert (await checked(database, keys))[0]
    assert not (await checked(database, AuditKeys(Keyring([K2]))))[0]  # k1 gone: record 1 unverifiable

    with pytest.raises(Exception, match="still signs 1 audit records"):
        await retire(database, rotated, "k1")
    async with database.session(all_teams=True) as session:
        await reseal(session, keys)
    assert "retired" in await retire(database, rotated, "k1")
    assert (await checked(database, AuditKeys(Keyring([K2]))))[0]


async def test_the_cli_verifies_with_the_keyring_and_reseals(database_url: str, database: Database,
                                                             tmp_path: Path) -> None:
    settings = load_settings(database_url=database_url, home=tmp_path / "home")
    keyring = await load_keyring(settings.home, None)  # the home's key file, as `deputy serve` made it
    async with database.session(all_teams=True) as session:
        await audit.append(session, "call", data={"step": 0})  # written before keyed audit
    report = await verify_audit(settings)
    assert not report.ok and "is not keyed" in report.summary()
    assert await reseal_audit(settings) == 1
    database.audit_keys = AuditKeys(keyring)
    async with database.session(all_teams=True) as session:
        await audit.append(session, "call", data={"step": 1})
    report = await verify_audit(settings)
    assert report.ok and report.records == 2
