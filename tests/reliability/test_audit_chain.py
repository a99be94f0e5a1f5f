"""The audit log shows tampering: raw SQL edits, deletes and swaps make `verify` fail."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlmodel import col, select

from bot.audit_cli import export_audit, parse_since, verify_audit
from bot.settings import load_settings
from bot.store import audit
from bot.store.audit_verify import export, verify
from bot.store.database import Database
from bot.store.tables import AuditRow
from bot.vault.audit_key import AuditKeys
from bot.vault.keyring import load_keyring


async def write_log(database: Database, count: int = 5) -> None:
    for i in range(count):
        async with database.session(all_teams=True) as s:
            await audit.append(s, "call", actor_key="shell:local:ana", goal_id=1,
                               data={"step": f"s{i}", "args": {"amount": 100 * i}, "result": {"ok": True}})


async def verified(database: Database, head: str | None = None) -> tuple[bool, str]:
    async with database.session(all_teams=True) as s:
        report = await verify(s, head)
    return report.ok, report.summary()


async def sql(database: Database, statement: str) -> None:
    async with database.engine.begin() as conn:
        await conn.execute(text(statement))


async def test_an_untouched_log_verifies(database: Database) -> None:
    await write_log(database)
    ok, summary = await verified(database)
    assert ok, summary
    assert "5 records" in summary


async def test_a_secret_in_a_records_data_is_stored_redacted(database: Database) -> None:
    # a step's arguments or an error can carry a key: the log keeps it cut out, never in clear
    async with database.session(all_teams=True) as s:
        await audit.append(s, "call", actor_key="shell:local:ana", goal_id=1, data={
            "args": {"api_key": "k-0123456789", "note": "use xoxb-1234567890-abcdefghij"}})
    async with database.session(all_teams=True) as s:
        row = (await s.exec(select(AuditRow))).one()
    assert row.data == {"args": {"api_key": "[REDACTED]", "note": "use [REDACTED]"}}
    assert (await verified(database))[0]


async def test_an_edited_record_is_detected(database: Database) -> None:
    await write_log(database)
    await sql(database, "UPDATE audit_log SET data = '{\"step\": \"s2\", \"args\": {\"amount\": 1}}' WHERE seq = 3")
    ok, summary = await verified(database)
    assert not ok and "record 3" in summary and "edited" in summary


async def test_an_edited_actor_is_detected(database: Database) -> None:
    await write_log(database)
    await sql(database, "UPDATE audit_log SET actor_key = 'shell:local:mallory' WHERE seq = 2")
    ok, summary = await verified(database)
    assert not ok and "record 2" in summary


async def test_an_edited_time_is_detected(database: Database) -> None:
    await write_log(database)
    async with database.session(all_teams=True) as s:  # the record said to be an hour older
        row = (await s.exec(select(AuditRow).where(AuditRow.seq == 2))).one()
        row.at = row.at - timedelta(hours=1)
    ok, summary = await verified(database)
    assert not ok and "record 2: content does not match its hash" in summary


async def test_a_removed_record_is_detected(database: Database) -> None:
    await write_log(database)
    await sql(database, "DELETE FROM audit_log WHERE seq = 3")
    ok, summary = await verified(database)
    assert not ok and "record 4" in summary and "removed" in summary


async def test_a_removed_first_record_is_detected(database: Database) -> None:
    await write_log(database)
    await sql(database, "DELETE FROM audit_log WHERE seq = 1")
    ok, _ = await verified(database)
    assert not ok


async def test_swapped_records_are_detected(database: Database) -> None:
    await write_log(database)
    # swap the sequence numbers of records 2 and 4 (through a free number)
    await sql(database, "UPDATE audit_log SET seq = 1000 WHERE seq = 2")
    await sql(database, "UPDATE audit_log SET seq = 2 WHERE seq = 4")
    await sql(database, "UPDATE audit_log SET seq = 4 WHERE seq = 1000")
    ok, summary = await verified(database)
    assert not ok and "reordered" in summary


async def test_a_rehashed_edit_is_caught_by_the_saved_head(database: Database) -> None:
    await write_log(database)
    async with database.session(all_teams=True) as s:
        head = (await verify(s)).head
    # someone who knows the hash function edits record 3 and recomputes the chain from there
    async with database.session(all_teams=True) as s:
        rows = list(await s.exec(select(AuditRow).order_by(col(AuditRow.seq))))
        prev = rows[1].hash
        for row in rows[2:]:
            if row.seq == 3:
                row.data = {**row.data, "args": {"amount": 1}}
            row.prev_hash = prev
            row.hash = prev = audit.record_hash(prev, row.at, row.kind, row.actor_key, row.goal_id, row.data,
                                                    team_key=row.team_key)
            s.add(row)
    async with database.session(all_teams=True) as s:
        assert (await s.get(AuditRow, 3)).data["args"] == {"amount": 1}  # type: ignore[union-attr]
    # the rewritten chain is consistent in itself: only the head saved before shows it
    assert (await verified(database))[0]
    ok, summary = await verified(database, head)
    assert not ok and "no longer in the log" in summary and "rewritten" in summary


async def test_a_cut_tail_is_caught_by_the_saved_head(database: Database) -> None:
    await write_log(database)
    async with database.session(all_teams=True) as s:
        head = (await verify(s)).head
    # cutting the tail leaves a valid shorter chain: only the saved head shows it
    await sql(database, "DELETE FROM audit_log WHERE seq = 5")
    assert (await verified(database))[0]
    ok, summary = await verified(database, head)
    assert not ok and "no longer in the log" in summary


async def test_export_writes_json_lines_since_a_time(database: Database) -> None:
    await write_log(database, 3)
    future = datetime.now(UTC) + timedelta(days=1)
    async with database.session(all_teams=True) as s:
        lines = [line async for line in export(s)]
        later = [line async for line in export(s, future)]
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == [1, 2, 3]
    assert records[1]["prev_hash"] == records[0]["hash"]
    assert records[2]["data"]["args"] == {"amount": 200}
    assert later == []


async def test_the_cli_bodies_verify_and_export(database_url: str, database: Database, tmp_path: Path) -> None:
    settings = load_settings(database_url=database_url, home=tmp_path / "home")
    # the CLI checks with the process's keyring: the records are signed with the same keys
    database.audit_keys = AuditKeys(await load_keyring(settings.home, None))
    await write_log(database, 2)
    report = await verify_audit(settings)
    assert report.ok and report.records == 2
    out = io.StringIO()
    assert await export_audit(settings, parse_since("2000-01-01"), out) == 2
    assert len(out.getvalue().splitlines()) == 2
