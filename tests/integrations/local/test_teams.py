"""The local integration keeps each team's data apart: a note written from one Discord
server is not found from another, and two teams' invoice lists differ."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bot.domain import Actor
from bot.registry.contract import CallContext
from bot.sdk import PermanentError
from integrations.local.actions import actions
from integrations.local.client import LocalClient
from integrations.local.tables import LocalBillingClient
from tests.support.team_checker import TeamChecker

ONE = Actor(platform="discord", team_id="111", user_id="u1", display_name="Ana")
TWO = Actor(platform="discord", team_id="222", user_id="u2", display_name="Ben")


async def _call(local: LocalClient, actor: Actor, action: str, **args: Any) -> dict[str, Any]:
    ctx = CallContext(idempotency_key=uuid.uuid4().hex, actor=actor)
    return await actions.functions[action](local, ctx, **args)


async def test_a_note_from_one_server_is_not_found_from_another(local: LocalClient, team_checked: TeamChecker) -> None:
    contact = await _call(local, ONE, "create_contact", name="Carol Diaz", email="carol@acme.example")
    contact_id = contact["contact"]["id"]
    await _call(local, ONE, "add_note", subject="contact", subject_id=contact_id, body="renewal in May")
    assert (await _call(local, ONE, "search_crm", query="Carol"))["count"] >= 1
    assert (await _call(local, TWO, "search_crm", query="Carol"))["count"] == 0
    with pytest.raises(PermanentError, match="No contact matches 'Carol Diaz'"):
        await _call(local, TWO, "find_people", names=["Carol Diaz"])
    # the other team cannot attach a note to it by id either
    with pytest.raises(PermanentError):
        await _call(local, TWO, "add_note", subject="contact", subject_id=contact_id, body="mine now")
    assert await local.known_people(TWO.team_key) == []
    assert [p[0] for p in await local.known_people(ONE.team_key)] == ["Carol Diaz"]
    assert team_checked.checked > 0


async def test_two_teams_invoice_lists_differ(local: LocalClient, team_checked: TeamChecker) -> None:
    ids = {}
    for actor, name in ((ONE, "Acme Corp"), (TWO, "Globex")):
        async with local.database.session(team=actor.team_key) as s:
            row = LocalBillingClient(name=name, email=f"ap@{name.split()[0].lower()}.example", hourly_rate_cents=10000)
            s.add(row)
            await s.flush()
            ids[actor.team_key] = row.id
        await _call(local, actor, "log_time", client=name, minutes=60, day="2026-02-03")
        made = await _call(local, actor, "create_invoice", client_id=ids[actor.team_key],
                           period_start="2026-02-01", period_end="2026-02-28")
        assert made["invoice"]["number"] == "INV-0001"  # each team numbers its own
    one = await _call(local, ONE, "list_invoices")
    two = await _call(local, TWO, "list_invoices")
    assert [i["client"] for i in one["invoices"]] == ["Acme Corp"]
    assert [i["client"] for i in two["invoices"]] == ["Globex"]
    assert await local.client_names(ONE.team_key) == ["Acme Corp"]
    # the other team's client id is unknown here: no invoice is made for it
    with pytest.raises(PermanentError):
        await _call(local, ONE, "create_invoice", client_id=ids[TWO.team_key],
                    period_start="2026-02-01", period_end="2026-02-28")
    assert await local.outbox(ONE.team_key) == []
