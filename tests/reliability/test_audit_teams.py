"""Each team's audit chain stands alone: its export holds only its records, its verification
reads only its chain, and tampering with another team's chain does not fail it."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from bot.audit_cli import export_audit, parse_team, verify_audit
from bot.settings import load_settings
from bot.store import audit
from bot.store.audit_verify import ALL, verify
from bot.store.database import Database
from bot.store.tables import AuditRow
from bot.vault.audit_key import AuditKeys
from bot.vault.keyring import load_keyring

A, B = "slack:TAAA", "discord:4242"


async def write(database: Database, actor: str, count: int, kind: str = "call") -> None:
    for i in range(count):
        async with database.session(all_teams=True) as s:
            await audit.append(s, kind, actor_key=actor, data={"step": f"s{i}", "who": actor})


async def three_chains(database: Database) -> None:
    await write(database, f"{A}:U1", 3)
    await write(database, f"{B}:99", 4)
    await write(database, "cli:local:ops", 2, "memory_erased")  # the operator: no team
    await write(database, f"{A}:U2", 2)


async def sql(database: Database, statement: str) -> None:
    async with database.engine.begin() as conn:
        await conn.execute(text(statement))


async def report(database: Database, team: str | None | object = ALL) -> tuple[bool, str]:
    async with database.session(all_teams=True) as s:
        found = await verify(s, team=team)  # type: ignore[arg-type]
    return found.ok, found.summary()


async def seqs_of(database: Database, team: str) -> list[int]:
    async with database.session(all_teams=True) as s:
        rows = await s.exec(select(AuditRow.seq).where(col(AuditRow.team_key) == team).order_by(col(AuditRow.seq)))
        return [int(r) for r in rows if r is not None]


async def test_each_team_has_its_own_chain_from_its_own_genesis(database: Database) -> None:
    await three_chains(database)
    async with database.session(all_teams=True) as s:
        rows = list(await s.exec(select(AuditRow).order_by(col(AuditRow.seq))))
    assert [r.team_key for r in rows] == [A] * 3 + [B] * 4 + [None] * 2 + [A] * 2
    firsts = {r.team_key: r for r in reversed(rows)}
    assert all(r.prev_hash == audit.GENESIS for r in firsts.values())
    # A's fourth record follows A's third, not the operator's record written between them
    assert rows[9].prev_hash == rows[2].hash
    ok, summary = await report(database)
    assert ok and "11 records in 3 chains" in summary
    assert f"- {A}: 5 records" in summary and f"- {B}: 4 records" in summary and "- system: 2 records" in summary


async def test_a_teams_export_holds_none_of_another_teams_records(database: Database) -> None:
    await three_chains(database)
    async with database.session(all_teams=True) as s:
        lines = [json.loads(line) async for line in audit_export(s, A)]
    assert len(lines) == 5 and {r["team"] for r in lines} == {A}
    assert all(r["data"]["who"].startswith(A) for r in lines)
    assert B not in json.dumps(lines) and "cli:local" not in json.dumps(lines)
    # the export is a chain on its own: each record follows the one before it in the file
    assert lines[0]["prev_hash"] == audit.GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(lines, lines[1:], strict=False))


def audit_export(s, team):  # type: ignore[no-untyped-def]
    from bot.store.audit_verify import export

    return export(s, None, team)


async def test_tampering_with_b_does_not_fail_as_verification(database: Database) -> None:
    await three_chains(database)
    first_b = (await seqs_of(database, B))[1]
    await sql(database, f"UPDATE audit_log SET data = '{{\"step\": \"forged\"}}' WHERE seq = {first_b}")
    ok, summary = await report(database, A)
    assert ok, summary
    assert summary.startswith(f"audit log of {A} intact: 5 records")
    ok, summary = await report(database, B)
    assert not ok and f"record {first_b}" in summary and "edited" in summary
    ok, summary = await report(database)  # everything: each chain checked, B's fails
    assert not ok and f"record {first_b}" in summary
    assert (await report(database, None))[0]  # the operator's chain is untouched


async def test_a_record_moved_into_another_teams_chain_is_detected(database: Database) -> None:
    await three_chains(database)
    last_b = (await seqs_of(database, B))[-1]
    # the last of B's records relabelled as A's: it leaves B's chain whole, but A's chain
    # gains a record that neither follows A's record before it nor hashes as A's
    await sql(database, f"UPDATE audit_log SET team_key = '{A}' WHERE seq = {last_b}")
    assert (await report(database, B))[0]
    ok, summary = await report(database, A)
    assert not ok and f"record {last_b}" in summary


async def test_a_teams_only_record_relabelled_to_a_team_without_records_is_detected(
        database: Database) -> None:
    # both chains start at the genesis hash, so only the team named in the hash shows this
    await write(database, f"{A}:U1", 1)
    await sql(database, f"UPDATE audit_log SET team_key = '{B}'")
    ok, summary = await report(database, B)
    assert not ok and "content does not match its hash" in summary


async def test_records_written_before_team_chains_still_verify(database: Database) -> None:
    """Records from before the migration have no team and hash without one: with the
    operator's later records they are the system chain, which verifies as it did."""
    for i in range(3):
        async with database.session(all_teams=True) as s:
            await audit.append(s, "goal", actor_key="shell:local:ana", goal_id=None, data={"i": i}, team_key=None)
    async with database.session(all_teams=True) as s:
        rows = list(await s.exec(select(AuditRow).order_by(col(AuditRow.seq))))
    # hashed exactly as before the change: no team in what the hash covers
    prev = audit.GENESIS
    for row in rows:
        assert row.hash == audit.record_hash(prev, row.at, row.kind, row.actor_key, row.goal_id, row.data)
        prev = row.hash
    await write(database, "cli:local:ops", 1)
    await write(database, f"{A}:U1", 1)
    ok, summary = await report(database, None)
    assert ok and "4 records" in summary


async def test_appends_of_two_teams_at_once_keep_both_chains_whole(database: Database) -> None:
    # eight at a time, within the connection pool (5 + 10): 24 sessions at once, twelve per
    # chain queued on its lock, waited past the pool's 5 s timeout on a loaded machine
    at_once = asyncio.Semaphore(8)

    async def one(actor: str, i: int) -> None:
        async with at_once, database.session(all_teams=True) as s:
            await audit.append(s, "call", actor_key=actor, data={"i": i})

    await asyncio.gather(*(one(f"{A}:U1" if i % 2 else f"{B}:7", i) for i in range(24)))
    ok, summary = await report(database)
    assert ok, summary
    assert "24 records in 2 chains" in summary


async def test_the_cli_bodies_take_a_team(database_url: str, database: Database, tmp_path: Path) -> None:
    settings = load_settings(database_url=database_url, home=tmp_path / "home")
    database.audit_keys = AuditKeys(await load_keyring(settings.home, None))
    await three_chains(database)
    found = await verify_audit(settings, team=parse_team(B))
    assert found.ok and found.records == 4 and A not in found.summary()
    out = io.StringIO()
    assert await export_audit(settings, None, out, parse_team(A)) == 5
    assert B not in out.getvalue()
    out = io.StringIO()
    assert await export_audit(settings, None, out, parse_team("system")) == 2


@pytest.mark.parametrize("bad", ["slack", "slack:", ":T1", "slack:T1:U1"])
def test_a_malformed_team_is_refused_clearly(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a team key"):
        parse_team(bad)
