"""The audit log records the flow and its hash chain links every record to the previous one."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import col, select

from bot.domain import StepStatus
from bot.store.audit import GENESIS, record_hash
from bot.store.audit_json import as_json
from bot.store.database import Database
from bot.store.tables import AuditRow
from tests.support.chat import Chat


async def test_the_flow_is_audited_in_a_hash_chain(chat: Chat, database: Database) -> None:
    await chat.say("chase overdue invoices")
    await chat.say("approve")
    async with database.session(all_teams=True) as session:
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


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.dates() | st.sampled_from(list(StepStatus)) | st.decimals(allow_nan=False, places=2),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=4),
    max_leaves=12)


@given(st.dictionaries(st.text(max_size=6), _JSONISH, max_size=5))
def test_a_record_keeps_its_data_as_json_gives_it_back(data: dict[str, Any]) -> None:
    # what is stored and hashed: written out as JSON and read back (tuples become lists,
    # dates and enums text, numeric keys text), whether or not the data needed it
    assert as_json(data) == json.loads(json.dumps(data, default=str))
