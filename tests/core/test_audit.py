"""The audit log records the flow and its hash chain links every record to the previous one."""

from __future__ import annotations

from sqlmodel import col, select

from bot.store.audit import GENESIS, record_hash
from bot.store.database import Database
from bot.store.tables import AuditRow
from tests.support.chat import Chat


async def test_the_flow_is_audited_in_a_hash_chain(chat: Chat, database: Database) -> None:
    await chat.say("chase overdue invoices")
    await chat.say("approve")
    async with database.session() as session:
        rows = list(await session.exec(select(AuditRow).order_by(col(AuditRow.seq))))
    kinds = [r.kind for r in rows]
    for expected in ("goal", "plan_version", "approve", "run_queued", "call", "run_succeeded"):
        assert expected in kinds, kinds
    assert kinds.count("call") == 1 + 3  # the list, then one reminder per overdue invoice
    # the shell is one team: every record of the conversation is in its chain
    assert {r.team_key for r in rows if r.goal_id is not None} == {"shell:local"}
    heads: dict[str | None, str] = {}
    for row in rows:
        prev = heads.get(row.team_key, GENESIS)
        assert row.prev_hash == prev
        assert row.hash == record_hash(prev, row.at, row.kind, row.actor_key, row.goal_id, row.data,
                                       team_key=row.team_key)
        heads[row.team_key] = row.hash
    approve = next(r for r in rows if r.kind == "approve")
    assert approve.actor_key == "shell:local:dev patel" and len(approve.data["fingerprint"]) == 64
