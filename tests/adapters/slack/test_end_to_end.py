"""The whole flow on Slack: signed HTTP requests shaped as Slack sends them, the real core,
a worker, and the fake Web API recording what Slack would show.

/deputy goal → root message + plan card in its thread → Approve → run against `local` →
the card updated in place and a result reply in the thread. Bad requests, retries, double
clicks, clicks by the wrong person and clicks on an old version change nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from bot.adapters.slack.app import RecentIds
from bot.app import Deputy
from bot.policy import Policy
from bot.settings import Settings, load_settings
from bot.store.database import Database
from bot.store.tables import ApprovalRow, RunRow
from integrations.local.receivables import list_invoices
from tests.adapters.slack import wire
from tests.adapters.slack.live import (
    Card,
    Live,
    blocks_of,
    buttons_of,
    count,
    eventually,
    live_slack,
    state,
    text_of,
)
from tests.core.conftest import seeded_app
from tests.fakes.slack_api import FakeSlackApi
from tests.support.deputy_process import deputy_serve
from tests.support.policies import finance_approves_writes

GOAL = "chase overdue invoices"
OVERDUE = 3  # overdue invoices in the demo data: one reminder each


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01,
                         retry_max_seconds=0.05, step_timeout_seconds=5,
                         # the worker wakes when a run is queued (as in `deputy serve`), not by polling
                         worker_poll_seconds=30)


@pytest.fixture
async def app(database: Database, settings: Settings, policy: Policy | None) -> Deputy:
    return await seeded_app(database, settings, policy=policy)


@pytest.fixture
async def live(app: Deputy, slack_api: FakeSlackApi) -> AsyncIterator[Live]:
    async with live_slack(app, slack_api) as running:
        yield running


async def reminders_sent(app: Deputy) -> int:
    local = app.registry.get("local").client  # type: ignore[union-attr]
    return len([m for m in await local.outbox("slack:T0001") if m["kind"] == "reminder"])


async def planned(live: Live, goal: str = GOAL, user: str = "U0ANNA") -> Card:
    await live.slash(goal, user=user)
    card = await live.card()
    await live.settle()
    return card


# -- the whole flow ----------------------------------------------------------------------


async def test_slash_command_plan_approve_run_and_result(live: Live, app: Deputy) -> None:
    await live.slash(GOAL)
    card = await live.card()
    [root] = [c for c in live.api.of("chat.postMessage") if not c.params.get("thread_ts")]
    assert (root.params["channel"], root.params["text"]) == (wire.CHANNEL, f"<@U0ANNA> asked: {GOAL}")
    assert card.call.params["channel"] == wire.CHANNEL
    assert card.thread_ts == "1760000001.000001"  # the root message's ts: the card is in its thread
    shown = text_of(card.blocks)
    assert "local.list_invoices" in shown and "local.send_reminder" in shown
    assert "needs approval" in shown and "Asked by anna.b" in shown
    assert set(card.buttons) == {"approve", "modify", "reject"}
    assert {(b.plan_id, b.version) for b in card.buttons.values()} == {(1, 1)}
    assert all(c.authorized for c in live.api.calls)

    assert await live.click(card, "approve", user="U0ANNA") == 200
    await eventually(lambda: len(live.thread_posts(card.thread_ts)) >= 2, 10, "the result reply")
    await live.settle()

    # the card was redrawn in place, never re-posted: approved → running (✓ step by step) → done
    updates = live.updates_of(card.ts)
    assert updates and all(u.params["channel"] == wire.CHANNEL for u in updates)
    states = [str(u.params["text"]).rsplit(": ", 1)[1] for u in updates]
    assert states[0] == "approved" and "running" in states and states[-1] == "done"
    final = blocks_of(updates[-1])
    assert not any(b["type"] == "actions" for b in final), "buttons stay on a finished card"
    assert text_of(final).count("✓ *") == len([b for b in card.blocks if "○ *" in text_of([b])])
    assert "approvals 1/1 (anna.b)" in text_of(final)
    # …and the result closes the thread
    card_post, result = live.thread_posts(card.thread_ts)
    assert card_post is card.call
    assert str(result.params["text"]).startswith("Done:")
    assert text_of(blocks_of(result)).startswith("✅")
    assert await reminders_sent(app) == OVERDUE
    [run] = (await state(app))["RunRow"]
    assert run["status"] == "succeeded"


# -- bad requests change nothing ---------------------------------------------------------

Tamper = Callable[[str], tuple[str, dict[str, str]]]


def _headers_without(name: str) -> Tamper:
    def tamper(body: str) -> tuple[str, dict[str, str]]:
        return body, {k: v for k, v in wire.sign(body).items() if k != name}
    return tamper


TAMPERS: list[tuple[str, Tamper, int]] = [
    ("wrong-signature", lambda b: (b, wire.sign(b, secret="not-the-signing-secret")), 401),
    ("timestamp-over-5-minutes-old", lambda b: (b, wire.sign(b, timestamp=int(time.time()) - 301)), 401),
    ("missing-signature-header", _headers_without("X-Slack-Signature"), 401),
    ("missing-timestamp-header", _headers_without("X-Slack-Request-Timestamp"), 401),
    ("truncated-after-signing", lambda b: (b[: len(b) // 2], wire.sign(b)), 401),
    ("malformed-but-signed", lambda b: ("payload=%7B%22type%22%3A%22block_", wire.sign("payload=%7B%22type%22%3A%22block_")), 400),
]


async def test_bad_requests_create_or_change_nothing(live: Live, app: Deputy) -> None:
    card = await planned(live)
    before, calls_before = await state(app), len(live.api.calls)
    goal = wire.slash_command("invoice Acme for last month", trigger="trigger-2")
    click = wire.interactive(wire.block_actions(str(card.buttons["approve"]), user="U0ANNA",
                                                thread_ts=card.thread_ts, message_ts=card.ts))
    for name, tamper, expected in TAMPERS:
        for good in (goal, click):
            body, headers = tamper(good)
            assert await live.send(body, wire.FORM, headers) == expected, name
    # an Events API body cut short, yet signed as it arrived
    event = wire.event_callback(wire.mention(f"<@UDEPUTY> {GOAL}"))[:-30]
    assert await live.send(event, wire.JSON) == 400
    await live.settle()
    assert await state(app) == before
    assert live.api.calls[calls_before:] == [], "Slack would show nothing"
    assert await reminders_sent(app) == 0


async def test_an_unknown_action_id_changes_nothing(live: Live, app: Deputy) -> None:
    card = await planned(live)
    before, calls_before = await state(app), len(live.api.calls)
    for action_id in ("deputy:1:1:explode", "deputy:one:1:approve", "deputy:1:1", "launch_missiles"):
        body = wire.interactive(wire.block_actions(action_id, user="U0ANNA", thread_ts=card.thread_ts,
                                                   message_ts=card.ts))
        assert await live.send(body, wire.FORM) == 400, action_id
    await live.settle()
    assert await state(app) == before
    assert live.api.calls[calls_before:] == []


async def test_a_retried_event_creates_one_goal(live: Live, app: Deputy) -> None:
    body = wire.event_callback(wire.mention(f"<@UDEPUTY> {GOAL}"), event_id="Ev0RETRY01")
    assert await live.send(body, wire.JSON) == 200
    await live.card()
    await live.settle()
    before = await state(app)
    assert len(before["GoalRow"]) == 1 and len(before["PlanRow"]) == 1
    for retry in ("1", "2"):
        headers = {**wire.sign(body), "X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"}
        assert await live.send(body, wire.JSON, headers) == 200
    # a retry that lands on a restarted process (the adapter's memory is empty): the core drops it
    live.adapter.recent = RecentIds()
    assert await live.send(body, wire.JSON, {**wire.sign(body), "X-Slack-Retry-Num": "3"}) == 200
    await live.settle()
    assert await state(app) == before
    assert len(live.cards()) == 1


async def test_a_double_click_on_approve_starts_one_run(live: Live, app: Deputy) -> None:
    card = await planned(live)
    statuses = await asyncio.gather(
        live.click(card, "approve", user="U0ANNA", action_ts="1760000300.000001"),
        live.click(card, "approve", user="U0ANNA", action_ts="1760000300.000002"),
    )
    assert statuses == [200, 200]
    await eventually(lambda: len(live.thread_posts(card.thread_ts)) >= 2, 10, "the result reply")
    await live.settle()
    assert await count(app, RunRow) == 1 and await count(app, ApprovalRow) == 1
    # the second click is told, privately, that there is nothing more to do
    [told] = [c for c in live.api.of("chat.postEphemeral") if c.params["user"] == "U0ANNA"]
    assert "already" in str(told.params["text"])
    assert await reminders_sent(app) == OVERDUE
    assert len(live.thread_posts(card.thread_ts)) == 2  # the card and one result


@pytest.mark.parametrize("policy", [finance_approves_writes(["slack:T0001:U0BOSS"], requester_may_approve=False)],
                         ids=["finance-only"])
async def test_an_approval_by_someone_the_policy_does_not_allow(
    live: Live, app: Deputy, slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    slack_api.users["U0CARL"] = {"id": "U0CARL", "name": "carl", "real_name": "Carl Ek", "tz": "Europe/London",
                                 "profile": {"display_name": "carl", "real_name": "Carl Ek"}}
    card = await planned(live)
    before = await state(app)
    # Carl is not in @finance; nor is Anna, who asked (and whom the rule excludes anyway)
    for outsider in ("U0CARL", "U0ANNA"):
        assert await live.click(card, "approve", user=outsider) == 200
        refusal = await live.ephemeral(outsider)
        assert refusal.params["channel"] == wire.CHANNEL and refusal.params["thread_ts"] == card.thread_ts
        assert refusal.params["text"] == "You can't approve this plan, because only members of @finance may approve this plan."
    await live.settle()
    assert await state(app) == before
    assert live.updates_of(card.ts) == [] and await reminders_sent(app) == 0

    # someone in @finance may: the same card runs
    assert await live.click(card, "approve", user="U0BOSS") == 200
    await eventually(lambda: len(live.thread_posts(card.thread_ts)) >= 2, 10, "the result reply")
    await live.settle()
    assert await count(app, RunRow) == 1 and await reminders_sent(app) == OVERDUE


@pytest.mark.parametrize("policy", [finance_approves_writes(["slack:T0001:U0ANNA", "slack:T0001:U0BOSS"],
                                                            requester_may_approve=False)], ids=["not-the-requester"])
async def test_a_requester_in_the_approving_group_cannot_approve_their_own_plan(live: Live, app: Deputy) -> None:
    card = await planned(live)  # Anna asks, and is in @finance
    before = await state(app)
    assert await live.click(card, "approve", user="U0ANNA") == 200
    refusal = await live.ephemeral("U0ANNA")
    assert refusal.params["text"] == ("You can't approve this plan, because the policy needs someone other "
                                      "than the requester to approve this plan.")
    await live.settle()
    assert await state(app) == before and await reminders_sent(app) == 0
    assert live.updates_of(card.ts) == []

    assert await live.click(card, "approve", user="U0BOSS") == 200  # another of @finance
    await eventually(lambda: len(live.thread_posts(card.thread_ts)) >= 2, 10, "the result reply")
    await live.settle()
    assert await count(app, RunRow) == 1 and await reminders_sent(app) == OVERDUE


# the policy names @finance with no members: membership comes from Slack's user group
@pytest.mark.parametrize("policy", [finance_approves_writes(requester_may_approve=False)], ids=["finance-by-group"])
async def test_a_slack_user_group_counts_as_the_policy_group(
    live: Live, app: Deputy, slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    slack_api.usergroups = [{"id": "S0FIN", "handle": "finance", "name": "Finance", "users": ["U0BOSS"]}]
    card = await planned(live)
    assert await live.click(card, "approve", user="U0BOSS") == 200
    await eventually(lambda: len(live.thread_posts(card.thread_ts)) >= 2, 10, "the result reply")
    await live.settle()
    assert await count(app, RunRow) == 1 and await reminders_sent(app) == OVERDUE


async def test_an_approval_for_a_superseded_version_changes_nothing(live: Live, app: Deputy) -> None:
    v1 = await planned(live)
    reply = wire.event_callback(wire.message("make it only Acme", thread_ts=v1.thread_ts, ts="1760000500.000500"),
                                event_id="Ev0REPLY01")
    assert await live.send(reply, wire.JSON) == 200
    v2 = await live.card(count=2)
    await live.settle()
    assert {(b.plan_id, b.version) for b in v2.buttons.values()} == {(1, 2)}
    assert v2.thread_ts == v1.thread_ts
    before, updates_before = await state(app), len(live.api.of("chat.update"))

    assert await live.click(v1, "approve", user="U0ANNA") == 200
    refusal = await live.ephemeral("U0ANNA")
    assert "version 1" in str(refusal.params["text"]) and "version 2" in str(refusal.params["text"])
    await live.settle()
    assert await state(app) == before
    assert await count(app, RunRow) == 0 and await reminders_sent(app) == 0
    assert len(live.api.of("chat.update")) == updates_before
    assert len(before["GoalRow"]) == 1 and len(before["PlanRow"]) == 1


# -- the real process --------------------------------------------------------------------


@pytest.mark.slow  # starts `deputy serve` as its own process
async def test_deputy_serve_answers_slack_and_stops_cleanly(slack_api: FakeSlackApi, tmp_path: Path) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-0000-test-token", "SLACK_SIGNING_SECRET": wire.SECRET,
           "DEPUTY_SLACK_API_URL": slack_api.base_url, "DEPUTY_SLACK_POST_INTERVAL_SECONDS": "0"}
    async with deputy_serve(tmp_path / "home", env) as served, aiohttp.ClientSession() as session:
        async with session.get(served.url + "/readyz") as response:
            assert response.status == 200
            ready = await response.json()
        assert ready["checks"]["database"] is True and ready["checks"]["slack"] is True

        # a fresh home has no demo data: a write that reads nothing first still needs approval
        # (chasing would find nothing overdue and ask instead of posting a card)
        goal = "add a contact Jane Doe, jane@acme.example, at Acme Corp"
        body = wire.slash_command(goal, response_url=slack_api.response_url)
        async with session.post(served.url + "/slack/events", data=body.encode(),
                                headers={"Content-Type": wire.FORM, **wire.sign(body)}) as response:
            assert (response.status, await response.text()) == (200, "")
        try:
            [root, card] = await slack_api.wait_for("chat.postMessage", 2, within=15)
        except AssertionError as err:
            raise AssertionError(f"{err}\n--- deputy serve said ---\n{(await served.output())[-3000:]}") from None
        assert root.params["text"] == f"<@U0ANNA> asked: {goal}"
        assert card.params["thread_ts"] == "1760000001.000001"
        buttons = {b.action for b in buttons_of(card.params["blocks"])[0].values()}
        assert buttons == {"approve", "modify", "reject"}
        assert all(c.authorized for c in slack_api.calls)

        assert await served.stop() == 0
    log = await served.output()
    assert "xoxb-0000-test-token" not in log and wire.SECRET not in log
    assert "Traceback" not in log


# -- answers show the data ------------------------------------------------------------------

async def test_a_question_is_answered_with_the_invoices_and_their_total(live: Live, app: Deputy) -> None:
    await live.slash("what's overdue?")

    def answered() -> list[object]:
        return [c for c in live.api.of("chat.postMessage") if str(c.params.get("text", "")).startswith("Done:")]

    await eventually(lambda: answered(), 10, "the answer")  # a read runs without approval
    await live.settle()
    [result] = answered()
    shown = text_of(blocks_of(result))
    local = app.registry.get("local").client  # type: ignore[union-attr]
    listed = await local.read("slack:T0001", lambda s: list_invoices(s, app.clock().date(), status="overdue", client=None))
    overdue = listed["invoices"]
    assert len(overdue) == OVERDUE
    assert "List overdue invoices: 3 invoices" in shown
    for invoice in overdue:
        assert invoice["number"] in shown and invoice["client"] in shown
    total = sum(i["outstanding_cents"] for i in overdue)
    assert f"outstanding {total // 100:,}.{total % 100:02d} USD" in shown


async def test_a_chase_result_names_each_reminder_and_its_recipient(live: Live, app: Deputy) -> None:
    card = await planned(live)
    # before approval the card's preview shows the invoices by number and client, not ids
    local = app.registry.get("local").client  # type: ignore[union-attr]
    listed = await local.read("slack:T0001", lambda s: list_invoices(s, app.clock().date(), status="overdue", client=None))
    before = text_of(card.blocks)
    assert all(i["number"] in before and i["client"] in before for i in listed["invoices"])
    assert "invoice_id" not in before.split("Preview", 1)[-1].split("local.list_invoices", 1)[0]
    assert await live.click(card, "approve", user="U0ANNA") == 200
    await eventually(lambda: len(live.thread_posts(card.thread_ts)) >= 2, 10, "the result reply")
    await live.settle()
    shown = text_of(blocks_of(live.thread_posts(card.thread_ts)[-1]))
    local = app.registry.get("local").client  # type: ignore[union-attr]
    sent = [m for m in await local.outbox("slack:T0001") if m["kind"] == "reminder"]
    assert "3 reminders sent" in shown
    for mail in sent:
        assert mail["to"] in shown


async def test_a_digest_in_slack_lists_the_invoices_it_found(live: Live, app: Deputy) -> None:
    await live.slash("every Monday at 9 list the overdue invoices here")
    await live.card()
    await live.slash("monitor approve 1")
    await live.settle()
    await live.slash("monitor run 1")

    def digests() -> list[object]:
        return [c for c in live.api.of("chat.postMessage")
                if "details: `deputy runs show" in text_of(c.params.get("blocks") or [])]

    await eventually(lambda: digests(), 15, "the digest")
    await live.settle()
    shown = text_of(blocks_of(digests()[-1]))  # type: ignore[arg-type]
    local = app.registry.get("local").client  # type: ignore[union-attr]
    listed = await local.read("slack:T0001", lambda s: list_invoices(s, app.clock().date(), status="overdue", client=None))
    assert all(i["number"] in shown and i["client"] in shown for i in listed["invoices"])
    assert "Total:" in shown
