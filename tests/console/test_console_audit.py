"""The Audit page checks only the records written since the chain's verified checkpoint;
*Verify the chain*, and the operator's `deputy audit verify`, check every record. An edit
before the checkpoint is caught by the full verification (and shown on the page from then
on); an edit after it, by the next page view."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.store import audit
from bot.store.audit_checkpoint import PAGE_LIMIT
from bot.store.tables import AuditRow
from bot.vault import Keyring, generate_key
from bot.vault.audit_key import AuditKeys
from tests.adapters.slack.live import Live
from tests.console.conftest import ANNA, Served, planned
from tests.console.test_console import csrf_of, get, post

TEAM = f"slack:{ANNA.team_id}"


async def _chain(served: Served) -> list[int]:
    async with served.app.database.session(all_teams=True) as db:
        found = await db.exec(select(AuditRow.seq).where(col(AuditRow.team_key) == TEAM).order_by(col(AuditRow.seq)))
        return [int(seq) for seq in found if seq is not None]


async def _edit(served: Served, seq: int) -> None:
    """What someone with write access to the database but without Deputy's keys can do."""
    async with served.app.database.session(all_teams=True) as db:
        row = await db.get(AuditRow, seq)
        assert row is not None
        row.data = {**row.data, "edited": True}
        db.add(row)


async def _append(served: Served, n: int) -> None:
    async with served.app.database.session(all_teams=True) as db:
        for i in range(n):
            await audit.append(db, "note", actor_key=ANNA.key, data={"n": i}, team_key=TEAM)


async def test_the_page_checks_since_the_checkpoint_and_a_full_verify_catches_an_old_edit(
        live: Live, served: Served, http: aiohttp.ClientSession) -> None:
    await planned(live)
    await served.signed_in(http)
    status, page = await get(http, served.url + "/console/audit")
    assert status == 200 and "has not been fully verified yet" in page
    status, page = await post(http, served.url + "/console/audit/verify", {"csrf": csrf_of(page)})
    assert status == 200 and f"audit log of {TEAM} intact" in page
    assert "Intact as of the checkpoint" in page
    head = (await _chain(served))[-1]
    assert f"records up to {head} were verified" in page

    await _append(served, 3)
    status, page = await get(http, served.url + "/console/audit")
    assert "the 3 records written since were checked now" in page
    assert f"records up to {head + 3} were verified" in page  # the checkpoint moved on

    first = (await _chain(served))[0]
    await _edit(served, first)  # before the checkpoint: a page view does not re-read it
    status, page = await get(http, served.url + "/console/audit")
    assert "Intact as of the checkpoint" in page and "does not re-read the records before the checkpoint" in page
    status, page = await post(http, served.url + "/console/audit/verify", {"csrf": csrf_of(page)})
    assert status == 200 and f"TAMPERED: first bad record {first}" in page
    status, page = await get(http, served.url + "/console/audit")  # remembered until a verify succeeds
    assert "the last full verification" in page and f"found a bad record (first: {first})" in page


async def test_an_edit_after_the_checkpoint_shows_on_the_next_page_view(
        live: Live, served: Served, http: aiohttp.ClientSession) -> None:
    await planned(live)
    await served.signed_in(http)
    _, page = await get(http, served.url + "/console/audit")
    await post(http, served.url + "/console/audit/verify", {"csrf": csrf_of(page)})
    await _append(served, 2)
    newest = (await _chain(served))[-1]
    await _edit(served, newest)
    status, page = await get(http, served.url + "/console/audit")
    assert status == 200 and "TAMPERED since the checkpoint" in page
    assert f"record {newest}: content does not match its hash" in page


async def test_the_checkpoint_record_itself_is_checked(live: Live, served: Served, http: aiohttp.ClientSession) -> None:
    await planned(live)
    await served.signed_in(http)
    _, page = await get(http, served.url + "/console/audit")
    await post(http, served.url + "/console/audit/verify", {"csrf": csrf_of(page)})
    head = (await _chain(served))[-1]
    await _edit(served, head)
    status, page = await get(http, served.url + "/console/audit")
    assert "TAMPERED since the checkpoint" in page and f"record {head}: content does not match" in page


async def test_a_page_view_checks_a_bounded_number_of_new_records_and_says_what_is_left(
        live: Live, served: Served, http: aiohttp.ClientSession) -> None:
    await planned(live)
    await served.signed_in(http)
    _, page = await get(http, served.url + "/console/audit")
    await post(http, served.url + "/console/audit/verify", {"csrf": csrf_of(page)})
    await _append(served, PAGE_LIMIT + 5)
    _, page = await get(http, served.url + "/console/audit")
    assert f"the {PAGE_LIMIT} records written since were checked now" in page
    assert "5 newer records are not checked yet" in page
    _, page = await get(http, served.url + "/console/audit")  # the next view goes on from there
    assert "the 5 records written since were checked now" in page and "not checked yet" not in page
    assert f"records up to {(await _chain(served))[-1]} were verified" in page


MASTER = generate_key("k1")


def operator_verifies(database_url: str, *words: str, code: int = 0) -> str:
    """The operator's `deputy audit verify` on the console's database, with its master key."""
    result = CliRunner().invoke(cli, ["audit", "verify", *words],
                                env={"DEPUTY_DATABASE_URL": database_url, "DEPUTY_MASTER_KEY": MASTER.entry()})
    assert result.exit_code == code, result.output
    return result.output


@pytest.mark.parametrize("words", [["--team", TEAM], []], ids=["one chain", "every chain"])
async def test_the_operators_verify_moves_the_checkpoint_as_the_pages_verify_does(
        live: Live, served: Served, http: aiohttp.ClientSession, database_url: str, words: list[str]) -> None:
    served.app.database.audit_keys = AuditKeys(Keyring([MASTER]))  # the deployment's key, which the CLI is given
    await planned(live)
    await served.signed_in(http)
    _, page = await get(http, served.url + "/console/audit")
    assert "has not been fully verified yet" in page
    assert "intact" in await asyncio.to_thread(operator_verifies, database_url, *words)
    head = (await _chain(served))[-1]
    status, page = await get(http, served.url + "/console/audit")
    assert status == 200 and "Intact as of the checkpoint" in page and f"records up to {head} were verified" in page

    first = (await _chain(served))[0]
    await _edit(served, first)  # before the checkpoint: only a full verification sees it
    assert "TAMPERED" in await asyncio.to_thread(operator_verifies, database_url, *words, code=1)
    status, page = await get(http, served.url + "/console/audit")
    assert "the last full verification" in page and f"found a bad record (first: {first})" in page
