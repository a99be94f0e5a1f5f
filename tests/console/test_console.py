"""The console over HTTP as a browser speaks it (the Chromium tests are in
test_console_browser.py): sign-in links, sessions, CSRF, team and group checks, and that a
decision in the console is the decision chat records, shown on the chat card."""

from __future__ import annotations

import json
from datetime import timedelta

import aiohttp
import pytest

from bot.app import Deputy
from bot.console.signin import local_person, make_link
from bot.store.tables import ApprovalRow, RunRow
from tests.adapters.slack import wire
from tests.adapters.slack.live import Live, count, eventually, state, text_of
from tests.console import held
from tests.console.conftest import ANNA, STRANGER, Served, console_with, planned
from tests.support.policies import finance_approves_writes


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url, allow_redirects=False) as response:
        return response.status, await response.text()


async def get_with_cookie(url: str, cookie: str) -> int:
    """A request carrying exactly this cookie value (a copy, or a forgery)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as bare, \
            bare.get(url, headers={"Cookie": f"deputy_console={cookie}"}, allow_redirects=False) as response:
        return response.status


def cookie_of(http: aiohttp.ClientSession) -> str:
    return next(c for c in http.cookie_jar if c.key == "deputy_console").value


async def post(http: aiohttp.ClientSession, url: str, data: dict[str, str]) -> tuple[int, str]:
    async with http.post(url, data=data, allow_redirects=False) as response:
        return response.status, await response.text()


def csrf_of(page: str) -> str:
    marker = 'name="csrf" value="'
    start = page.index(marker) + len(marker)
    return page[start:page.index('"', start)]


async def test_a_sign_in_link_works_once_and_sets_a_guarded_cookie(served: Served, http: aiohttp.ClientSession) -> None:
    assert (await get(http, served.url + "/console/waiting"))[0] == 303  # not signed in: to sign-in
    token = (await served.link()).rsplit("token=", 1)[1]
    status, page = await get(http, served.url + "/console/signin?token=" + token)
    assert status == 200 and 'value="' + token in page  # following the link spends nothing
    async with http.post(served.url + "/console/signin", data={"token": token},
                         allow_redirects=False) as response:
        assert response.status == 303 and response.headers["Location"] == "/console/waiting"
        cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Max-Age=28800" in cookie
    status, page = await post(http, served.url + "/console/signin", {"token": token})
    assert status == 400 and "unknown, used or expired" in page


async def test_an_expired_link_and_a_forged_cookie_sign_nobody_in(served: Served, http: aiohttp.ClientSession) -> None:
    old = await make_link(served.app.database, ANNA, served.url, served.app.clock() - timedelta(minutes=11))
    status, _ = await post(http, served.url + "/console/signin", {"token": old.rsplit("token=", 1)[1]})
    assert status == 400
    await served.signed_in(http)
    body, mac = cookie_of(http).split(".")
    assert await get_with_cookie(served.url + "/console/waiting", f"{body}.{mac}") == 200
    forged = body[:-4] + "AAAA." + mac
    assert await get_with_cookie(served.url + "/console/waiting", forged) == 303


async def test_the_cookie_is_secure_off_this_machine(served: Served, http: aiohttp.ClientSession) -> None:
    token = (await served.link()).rsplit("token=", 1)[1]
    async with http.post(served.url + "/console/signin", data={"token": token}, allow_redirects=False,
                         headers={"Host": "deputy.example.com"}) as response:
        assert "Secure" in response.headers["Set-Cookie"]


async def test_approving_in_the_console_updates_the_chat_card(live: Live, served: Served, app: Deputy,
                                                              http: aiohttp.ClientSession) -> None:
    card = await planned(live)
    await served.signed_in(http)
    status, page = await get(http, served.url + "/console/waiting")
    assert status == 200 and "chase overdue invoices" in page and "local.send_reminder" in page
    assert "Approve version 1" in page
    status, page = await post(http, served.url + "/console/plans/1/decide",
                              {"csrf": csrf_of(page), "version": "1", "decision": "approve"})
    assert status == 303
    await eventually(lambda: any("done" in str(u.params["text"]) for u in live.updates_of(card.ts)), 15,
                     "the chat card to show the run done")
    first = live.updates_of(card.ts)[0]
    assert "approvals 1/1" in text_of(first.params["blocks"])
    [run] = (await state(app))["RunRow"]
    assert run["status"] == "succeeded"
    status, page = await get(http, served.url + "/console/runs")
    assert status == 200 and f'/console/runs/{run["id"]}' in page
    status, page = await get(http, served.url + f"/console/runs/{run['id']}")
    assert f"deputy-run{run['id']}-s1" in page and "Tries" in page


async def test_a_form_without_its_csrf_token_is_refused(live: Live, served: Served, app: Deputy,
                                                        http: aiohttp.ClientSession) -> None:
    await planned(live)
    await served.signed_in(http)
    before = await state(app)
    for forged in ({}, {"csrf": "0" * 64}):
        status, page = await post(http, served.url + "/console/plans/1/decide",
                                  {**forged, "version": "1", "decision": "approve"})
        assert status == 403 and "CSRF" in page
    await live.settle()
    assert await state(app) == before
    assert await count(app, ApprovalRow) == 0


async def test_another_team_sees_neither_the_plan_nor_the_button(live: Live, served: Served, app: Deputy,
                                                                 http: aiohttp.ClientSession) -> None:
    await planned(live)
    await served.signed_in(http, STRANGER)
    status, page = await get(http, served.url + "/console/waiting")
    assert status == 200 and "chase overdue invoices" not in page and "Approve" not in page
    status, page = await get(http, served.url + "/console/plans/1")
    assert status == 403 and "chase overdue invoices" not in page
    status, _ = await post(http, served.url + "/console/plans/1/decide",
                           {"csrf": csrf_of(page), "version": "1", "decision": "approve"})
    assert status == 403
    assert await count(app, ApprovalRow) == 0 and await count(app, RunRow) == 0
    status, page = await get(http, served.url + "/console/runs")
    assert "chase overdue invoices" not in page


# Boss approves for @finance; so would "Boss" of another workspace, were the team not checked


@pytest.mark.parametrize("policy", [finance_approves_writes(["slack:T0001:U0BOSS", "slack:T0OTHER:U0BOSS"],
                                                             requester_may_approve=False)], ids=["finance-only"])
async def test_only_the_group_of_the_team_sees_and_decides(live: Live, served: Served, app: Deputy,
                                                            http: aiohttp.ClientSession) -> None:
    card = await planned(live)
    people = {name: local_person(f"slack:{team}:{user}") for name, team, user in (
        ("boss", wire.TEAM, "U0BOSS"), ("carl", wire.TEAM, "U0CARL"), ("other boss", "T0OTHER", "U0BOSS"))}
    for name in ("carl", "other boss"):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            await served.signed_in(browser, people[name])
            status, page = await get(browser, served.url + "/console/waiting")
            assert status == 200 and "chase overdue invoices" not in page, name
            status, page = await get(browser, served.url + "/console/plans/1")
            assert status == 403 and "chase overdue invoices" not in page, name
            status, _ = await post(browser, served.url + "/console/plans/1/decide",
                                   {"csrf": csrf_of(page), "version": "1", "decision": "approve"})
            assert status == 403, name
    # Anna asked: she sees her plan, without an Approve button (the policy excludes her)
    await served.signed_in(http, ANNA)
    status, page = await get(http, served.url + "/console/plans/1")
    assert status == 200 and "Approve version" not in page and "only members of @finance" in page
    assert await count(app, ApprovalRow) == 0
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        await served.signed_in(browser, people["boss"])
        status, page = await get(browser, served.url + "/console/waiting")
        assert status == 200 and "Approve version 1" in page
        status, _ = await post(browser, served.url + "/console/plans/1/decide",
                               {"csrf": csrf_of(page), "version": "1", "decision": "approve"})
        assert status == 303
    await eventually(lambda: bool(live.updates_of(card.ts)), 15, "the chat card to update")
    assert "approvals 1/1" in text_of(live.updates_of(card.ts)[0].params["blocks"])


@pytest.mark.parametrize("policy", [finance_approves_writes(["slack:T0001:U0ANNA", "slack:T0001:U0BOSS"],
                                                            requester_may_approve=False)], ids=["not-the-requester"])
async def test_a_requester_in_the_approving_group_cannot_approve_their_own_plan(
        live: Live, served: Served, app: Deputy, http: aiohttp.ClientSession) -> None:
    card = await planned(live)  # Anna asks, and is in @finance
    await served.signed_in(http, ANNA)
    status, page = await get(http, served.url + "/console/plans/1")
    assert status == 200 and "Approve version" not in page
    assert "the policy needs someone other than the requester to approve this plan" in page
    status, page = await post(http, served.url + "/console/plans/1/decide",
                              {"csrf": csrf_of(page), "version": "1", "decision": "approve"})
    assert status == 403 and "someone other than the requester" in page
    assert await count(app, ApprovalRow) == 0
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        await served.signed_in(browser, local_person(f"slack:{wire.TEAM}:U0BOSS"))  # another of @finance
        status, page = await get(browser, served.url + "/console/plans/1")
        status, _ = await post(browser, served.url + "/console/plans/1/decide",
                               {"csrf": csrf_of(page), "version": "1", "decision": "approve"})
        assert status == 303
    await eventually(lambda: bool(live.updates_of(card.ts)), 15, "the chat card to update")
    assert "approvals 1/1" in text_of(live.updates_of(card.ts)[0].params["blocks"])


async def test_audit_shows_the_head_verifies_and_exports(live: Live, served: Served,
                                                         http: aiohttp.ClientSession) -> None:
    await planned(live)
    await served.signed_in(http)
    status, page = await get(http, served.url + "/console/audit")
    assert status == 200 and "chain ends at record" in page and "its head is" in page
    status, page = await post(http, served.url + "/console/audit/verify", {"csrf": csrf_of(page)})
    assert status == 200 and "audit log of slack:T0001 intact" in page
    status, body = await get(http, served.url + "/console/audit/export.jsonl")
    records = [json.loads(line) for line in body.splitlines()]
    assert records and all(r["team"] == f"slack:{ANNA.team_id}" for r in records)
    assert [r["seq"] for r in records] == sorted(r["seq"] for r in records)


async def test_the_explain_form_names_the_deciding_rule(served: Served, http: aiohttp.ClientSession) -> None:
    await served.signed_in(http)
    status, page = await get(http, served.url + "/console/policy")
    assert status == 200 and "rules:" in page or "guardrails" in page
    status, page = await post(http, served.url + "/console/policy/explain", {
        "csrf": csrf_of(page), "action": "local.send_reminder", "args": '{"invoice_id": "INV-1"}'})
    assert status == 200 and "◀ decides" in page
    status, page = await post(http, served.url + "/console/policy/explain", {
        "csrf": csrf_of(page), "action": "local.send_reminder", "args": "{not json"})
    assert status == 400 and "not JSON" in page


async def test_signing_out_ends_the_session(served: Served, http: aiohttp.ClientSession) -> None:
    await served.signed_in(http)
    status, page = await get(http, served.url + "/console/waiting")
    kept = cookie_of(http)
    assert (await post(http, served.url + "/console/signout", {"csrf": csrf_of(page)}))[0] == 303
    assert await get_with_cookie(served.url + "/console/waiting", kept) == 303  # even a copy of it


async def test_signing_out_holds_in_every_process(served: Served, app: Deputy, http: aiohttp.ClientSession) -> None:
    """Two console servers on one database, as two `deputy serve` processes: signing out on
    one ends the session on the other too."""
    async with console_with(app, []) as other:
        await served.signed_in(http)
        kept = cookie_of(http)
        assert await get_with_cookie(other.url + "/console/waiting", kept) == 200
        status, page = await get(http, served.url + "/console/waiting")
        assert (await post(http, served.url + "/console/signout", {"csrf": csrf_of(page)}))[0] == 303
        assert await get_with_cookie(other.url + "/console/waiting", kept) == 303


async def test_waiting_for_you_shows_ten_cards_a_page(served: Served, app: Deputy, http: aiohttp.ClientSession) -> None:
    for n in range(12):
        await held.waiting_plan(app.database, ANNA, f"remind client {n}")
    await served.signed_in(http)
    status, first = await get(http, served.url + "/console/waiting")
    assert status == 200 and "12 plans wait for your decision (page 1 of 2)" in first
    assert first.count("Approve version 1") == 10 and "remind client 11" in first and "remind client 1<" not in first
    status, second = await get(http, served.url + "/console/waiting?page=2")
    assert second.count("Approve version 1") == 2 and "remind client 0" in second
