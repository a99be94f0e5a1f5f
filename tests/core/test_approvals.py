"""Plan versions and approvals through the shell harness: stale clicks, double clicks,
unauthorised approvers, edits and bad input — each with a clear message and no change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from bot.app import Deputy
from bot.chat.events import ButtonPressed
from bot.dispatch import dispatch
from bot.domain import PlanDraft, Step, Where
from bot.policy import load_policy
from bot.settings import Settings
from bot.store import goals
from bot.store.database import Database
from bot.store.tables import ApprovalRow, GoalRow, PlanVersionRow, RunRow, StepRow
from integrations.local.tables import LocalEvent
from tests.core.conftest import Build
from tests.core.doubles import ScriptedPlanner
from tests.support.builder import FakeClock
from tests.support.chat import Chat
from tests.support.policies import finance_approves_writes


async def count(database: Database, table: type) -> int:  # type: ignore[type-arg]
    async with database.session(all_teams=True) as session:
        return int((await session.exec(select(func.count()).select_from(table))).one())


async def test_approving_a_stale_version_does_nothing_and_says_so(chat: Chat, deputy: Deputy,
                                                                  database: Database) -> None:
    await chat.say("chase overdue invoices")
    await chat.say("modify 2 message=Gentle reminder")
    assert chat.card.version == 2
    stale = ButtonPressed(actor=chat.user, where=chat.port.current_thread,  # type: ignore[arg-type]
                          button_id=f"deputy:{chat.card.plan_id}:1:approve")
    start = len(chat.lines)
    await dispatch(deputy, stale)
    said = "\n".join(chat.lines[start:])
    assert "version 1" in said and "now at version 2" in said and "Nothing was changed" in said
    assert await count(database, RunRow) == 0
    assert await count(database, ApprovalRow) == 0
    # the current version still works
    assert "✓ Run 1: Done" in await chat.say("approve")


async def test_a_double_click_starts_one_run(chat: Chat, deputy: Deputy, database: Database) -> None:
    await chat.say("chase overdue invoices")
    click = ButtonPressed(actor=chat.user, where=chat.port.current_thread,  # type: ignore[arg-type]
                          button_id=f"deputy:{chat.card.plan_id}:{chat.card.version}:approve")
    await dispatch(deputy, click)
    start = len(chat.lines)
    await dispatch(deputy, click)
    assert "already" in "\n".join(chat.lines[start:])
    assert await count(database, RunRow) == 1
    assert await count(database, ApprovalRow) == 1


FINANCE_SENDS_REMINDERS = """
version: 1
default: deny
groups:
  finance: ["shell:local:julia"]
rules:
  - name: reads
    match: {effect: read}
    verdict: allow
  - name: reminders-by-finance
    match: {action: send_reminder}
    verdict: require_approval
    approvers: [finance]
    requester_may_approve: false
"""


async def dev_chat(build: Build, tmp_path: Path, policy_text: str = FINANCE_SENDS_REMINDERS) -> Chat:
    """Dev's shell under ``policy_text``, at the start of a goal's thread."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(policy_text)
    return Chat(await build(policy=load_policy(policy)), user="Dev")


async def test_an_approver_outside_the_group_is_refused_with_the_reason(
        build: Build, database: Database, tmp_path: Path) -> None:
    chat = await dev_chat(build, tmp_path)
    out = await chat.say("chase overdue invoices")
    assert "needs 1 approval from @finance, not the requester" in out
    out = await chat.say("approve")  # the requester, who is not in finance either
    assert "You can't approve this plan" in out
    out = await chat.say("as Ben: approve")
    assert "You can't approve this plan, because only members of @finance may approve" in out
    assert await count(database, RunRow) == 0
    out = await chat.say("as Ben: reject")  # nor may he end it: only the requester or an approver
    assert "You can't reject this plan, because only members of @finance may approve" in out
    out = await chat.say("as Julia: approve")
    assert "✓ Run 1: Done" in out


async def test_after_an_approvers_change_only_the_requesters_consent_is_let_through(
        build: Build, database: Database, tmp_path: Path) -> None:
    # a version Julia changed needs Dev's consent: that lets Dev approve, not anyone else
    chat = await dev_chat(build, tmp_path)
    await chat.say("chase overdue invoices")
    assert "Changed by Julia" in await chat.say("as Julia: modify 2 message=Please pay this week")
    out = await chat.say("as Ben: approve")
    assert "You can't approve this plan, because only members of @finance may approve" in out
    assert await count(database, ApprovalRow) == 0
    assert "Run" not in await chat.say("approve")  # Dev consents; finance has not approved v2
    assert "✓ Run 1: Done" in await chat.say("as Julia: approve")


async def test_a_plan_with_a_denied_step_cannot_be_approved(
        build: Build, database: Database, tmp_path: Path) -> None:
    # reads only: the reminders fall to the default, deny
    chat = await dev_chat(build, tmp_path, "version: 1\ndefault: deny\nrules:\n  - name: reads\n"
                                           "    match: {effect: read}\n    verdict: allow\n")
    await chat.say("chase overdue invoices")
    out = await chat.say("approve")
    assert "This plan has a step the policy denies, so it cannot be approved." in out
    assert await count(database, ApprovalRow) == 0 and await count(database, RunRow) == 0


async def test_someone_who_may_not_approve_may_not_change_the_plan(
        build: Build, database: Database, tmp_path: Path) -> None:
    chat = await dev_chat(build, tmp_path)
    await chat.say("chase overdue invoices")
    out = await chat.say("as Ben: modify 2 message=Pay to my account instead")
    assert "Only the person who asked, or someone who may approve it, can change this plan." in out
    assert await count(database, PlanVersionRow) == 1


@pytest.mark.parametrize("own", [False, True], ids=["not-the-requester", "requester-may"])
async def test_a_requester_in_the_approving_group_approves_their_own_plan_only_if_the_policy_says(
        build: Build, database: Database, own: bool) -> None:
    deputy = await build(policy=finance_approves_writes(["shell:local:dev", "shell:local:julia"],
                                                        requester_may_approve=own))
    chat = Chat(deputy, user="Dev")
    await chat.say("chase overdue invoices")
    out = await chat.say("approve")  # Dev asked, and is in @finance
    if own:
        assert "✓ Run 1: Done" in out
        return
    assert "You can't approve this plan, because the policy needs someone other than the " \
           "requester to approve this plan." in out
    assert await count(database, RunRow) == 0 and await count(database, ApprovalRow) == 0
    assert "✓ Run 1: Done" in await chat.say("as Julia: approve")


async def test_reject_ends_the_goal(chat: Chat, database: Database) -> None:
    await chat.say("chase overdue invoices")
    out = await chat.say("reject")
    assert "rejected" in out
    assert "already rejected" in await chat.say("approve")
    assert await count(database, RunRow) == 0
    async with database.session(all_teams=True) as session:
        assert (await session.get(GoalRow, 1)).status == "rejected"  # type: ignore[union-attr]


async def test_modify_makes_a_new_version_and_voids_approvals(chat: Chat, database: Database) -> None:
    out = await chat.say("book a meeting with Ana and Ben next Tuesday at 10am")
    assert "v1" in out
    out = await chat.say("modify 2 title=Roadmap review")
    assert "Plan 1 v2" in out and "title=Roadmap review" in out
    assert "Changed from version 1" in out
    assert "(plan 1 v1 is now superseded)" in out  # the old card loses its buttons
    async with database.session(all_teams=True) as session:
        statuses = [v.status for v in await session.exec(select(PlanVersionRow).order_by(PlanVersionRow.version))]
    assert statuses == ["superseded", "proposed"]


async def test_a_thread_reply_makes_a_new_version(chat: Chat) -> None:
    await chat.say("book a meeting with Ana and Ben next Tuesday at 10am")
    out = await chat.say("reply make it Thursday instead")
    assert "Plan 1 v2" in out and "Thursday" in out


async def test_bad_input_is_explained_and_changes_nothing(chat: Chat, database: Database) -> None:
    assert "There is no plan to answer yet" in await chat.say("approve")
    await chat.say("chase overdue invoices")
    versions = await count(database, PlanVersionRow)
    for line, expected in [
        ("modify", "Use: modify STEP key=value"),
        ("modify two message=hi", "Use: modify STEP key=value"),
        ("modify 9 message=hi", "There is no step 9"),
        ("modify 2 colour=red", "has no argument 'colour'"),
        ("modify 1 status=sideways", "not valid"),
    ]:
        out = await chat.say(line)
        assert expected in out, (line, out)
    assert await count(database, PlanVersionRow) == versions
    assert await count(database, RunRow) == 0


async def test_an_empty_goal_gets_a_hint_and_creates_nothing(deputy: Deputy, database: Database) -> None:
    from bot.chat.events import GoalPosted

    chat = Chat(deputy)
    start = len(chat.lines)
    await dispatch(deputy, GoalPosted(actor=chat.user, where=chat.session.where(), text="   "))
    assert "Tell me what you would like done" in "\n".join(chat.lines[start:])
    assert await count(database, GoalRow) == 0


async def test_a_plan_with_an_unknown_action_or_bad_arguments_never_runs(
        build: Build, database: Database, settings: Settings) -> None:
    deputy = await build(planner=ScriptedPlanner(
        PlanDraft(summary="Order pizza", steps=[Step(id="s1", action="local.order_pizza")]),
        PlanDraft(summary="Remind", steps=[Step(id="s1", action="local.send_reminder",
                                                args={"invoice_id": "seven"})]),
    ))
    chat = Chat(deputy)
    out = await chat.say("order pizza")
    assert "could not make a valid plan" in out and "unknown action 'local.order_pizza'" in out
    out = await chat.say("remind invoice seven")
    assert "could not make a valid plan" in out and "'seven' is not of type 'integer'" in out
    assert await count(database, PlanVersionRow) == 0
    assert "There is no plan to answer yet" in await chat.say("approve")


async def test_an_unknown_button_is_refused(chat: Chat, deputy: Deputy, database: Database) -> None:
    await chat.say("chase overdue invoices")
    for raw in ("deputy:99:1:approve", "deputy:1:1:explode", "not-a-button"):
        start = len(chat.lines)
        await dispatch(deputy, ButtonPressed(actor=chat.user, where=chat.port.current_thread,  # type: ignore[arg-type]
                                            button_id=raw))
        said = "\n".join(chat.lines[start:])
        assert "nothing was changed" in said.lower(), (raw, said)
    assert await count(database, RunRow) == 0


async def test_a_click_from_another_channel_is_refused_and_changes_nothing(
        chat: Chat, deputy: Deputy, database: Database) -> None:
    await chat.say("chase overdue invoices")
    start = len(chat.lines)
    elsewhere = Where(platform="shell", channel_id="elsewhere")
    await dispatch(deputy, ButtonPressed(actor=chat.user, where=elsewhere, button_id="deputy:1:1:approve"))
    assert "This goal lives in another channel; act on it there." in "\n".join(chat.lines[start:])
    assert await count(database, RunRow) == 0 and await count(database, ApprovalRow) == 0


async def test_a_write_rate_limit_stops_the_step_before_any_call(
        build: Build, database: Database, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("""
version: 1
default: deny
rules:
  - name: reads
    match: {effect: read}
    verdict: allow
  - name: few-reminders
    match: {action: send_reminder}
    verdict: require_approval
    rate_limit: {max: 2, per: 1h, scope: user}
""")
    deputy = await build(policy=load_policy(policy))
    chat = Chat(deputy, user="Dev")
    await chat.say("chase overdue invoices")
    out = await chat.say("approve")
    assert "✗ 2. " in out and "was not run" in out and "few-reminders" in out
    local = deputy.registry.get("local").client  # type: ignore[union-attr]
    assert [m for m in await local.outbox() if m["kind"] == "reminder"] == []


async def test_a_rate_limit_counts_past_runs_by_the_apps_clock(
        build: Build, database: Database, fake_clock: FakeClock, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("""
version: 1
default: deny
rules:
  - name: reads
    match: {effect: read}
    verdict: allow
  - name: one-booking-an-hour
    match: {action: create_event}
    verdict: require_approval
    rate_limit: {max: 1, per: 1h, scope: user}
""")
    deputy = await build(policy=load_policy(policy))
    start = deputy.clock()
    chat = Chat(deputy, user="Dev")

    async def book(after: timedelta, topic: str) -> str:
        fake_clock.set(start + after)
        await chat.say(f"book a meeting with Ana next Tuesday about {topic}")
        return await chat.say("approve")

    assert "✓ Run 1: Done" in await book(timedelta(0), "the roadmap")
    # ten minutes later by the app's clock: the first booking is inside the hour
    second = await book(timedelta(minutes=10), "the budget")
    assert "was not run" in second and "one-booking-an-hour" in second, second
    assert "✓ Run 3: Done" in await book(timedelta(minutes=61), "hiring")
    async with database.session(all_teams=True) as session:
        titles = [e.title for e in (await session.exec(select(LocalEvent))).all()]
    assert "Roadmap" in titles and "Hiring" in titles and "Budget" not in titles, titles


TWO_OF_FINANCE = """
version: 1
default: deny
groups:
  finance: ["shell:local:julia", "shell:local:omar", "shell:local:dev patel"]
rules:
  - name: reads
    match: {effect: read}
    verdict: allow
  - name: reminders-by-two-of-finance
    match: {action: send_reminder}
    verdict: require_approval
    approvals: 2
    approvers: [finance]
    requester_may_approve: false
"""


async def test_two_of_finance_must_approve_and_the_requester_does_not_count(
        build: Build, database: Database, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(TWO_OF_FINANCE)
    deputy = await build(policy=load_policy(policy))
    chat = Chat(deputy, user="Dev Patel")
    out = await chat.say("chase overdue invoices")
    assert "needs 2 approvals from @finance, not the requester" in out
    assert "other than the requester" in await chat.say("approve")
    out = await chat.say("as Julia: approve")
    assert "approved by Julia" in out and "Run" not in out
    assert "already" in await chat.say("as Julia: approve")
    assert await count(database, RunRow) == 0
    out = await chat.say("as Omar: approve")
    assert "✓ Run 1: Done" in out
    async with database.session(all_teams=True) as session:
        approvers = [a.approver_key for a in await session.exec(select(ApprovalRow))]
    assert sorted(approvers) == ["shell:local:julia", "shell:local:omar"]


async def test_an_approval_counts_only_for_the_content_it_was_given(
        build: Build, database: Database, tmp_path: Path) -> None:
    """A version's steps rewritten in place in the database (a bad migration, a hand-made
    fix) keep its number, not its approvals: Julia approved other reminders than the ones
    it now holds, so Omar's approval alone does not run them."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(TWO_OF_FINANCE)
    chat = Chat(await build(policy=load_policy(policy)), user="Dev Patel")
    await chat.say("chase overdue invoices")
    assert "approved by Julia" in await chat.say("as Julia: approve")
    async with database.session(all_teams=True) as session:
        version = (await session.exec(select(PlanVersionRow))).one()
        step = (await session.exec(select(StepRow).where(col(StepRow.action).endswith("send_reminder")))).one()
        step.args = {**step.args, "message": "Pay to account 0042 instead"}
        session.add(step)
        await session.flush()
        view = await goals.load_view(session, version.plan_id, version.version)
        assert view is not None
        version.fingerprint = view.draft().fingerprint()  # consistent with what it now holds
        session.add(version)
    out = await chat.say("as Omar: approve")
    assert "approved by Omar" in out and "Run" not in out, out
    assert await count(database, RunRow) == 0


async def test_a_new_version_shows_what_changed(chat: Chat) -> None:
    await chat.say("book a meeting with Ana and Ben next Tuesday at 10am")
    out = await chat.say("modify 2 title=Roadmap review")
    assert "Changes from version 1: step 2 title:" in out and "→ Roadmap review" in out


def test_plan_changes_are_described_step_by_step() -> None:
    from bot.flow.plan_diff import describe_changes

    old = PlanDraft(summary="x", steps=[Step(id="s1", action="local.list_invoices", args={"status": "overdue"}),
                                        Step(id="s2", action="local.send_reminder", args={"invoice_id": 1})])
    new = PlanDraft(summary="x", steps=[Step(id="s1", action="local.list_invoices", args={"status": "sent"})])
    assert describe_changes(old, new, 1) == (
        "Changes from version 1: step 1 status: overdue → sent; − local.send_reminder (was step 2, dropped)")
    assert describe_changes(old, old, 1) == ""


def test_a_step_added_in_front_is_one_addition_not_every_step_changed() -> None:
    from bot.flow.plan_diff import describe_changes

    old = PlanDraft(summary="x", steps=[Step(id="s1", action="local.list_invoices", args={"status": "overdue"}),
                                        Step(id="s2", action="local.send_reminder", args={"invoice_id": 1})])
    new = PlanDraft(summary="x", steps=[Step(id="s1", action="local.search_crm", args={"query": "Acme"}),
                                        Step(id="s2", action="local.list_invoices", args={"status": "overdue"}),
                                        Step(id="s3", action="local.send_reminder", args={"invoice_id": 1})])
    assert describe_changes(old, new, 1) == "Changes from version 1: + step 1: local.search_crm"


async def test_a_reply_that_changes_nothing_says_so_and_keeps_the_version(chat: Chat) -> None:
    await chat.say("book a meeting with Ana and Ben next Tuesday at 10am")
    said = await chat.say("reply yes, next Tuesday at 10am")
    assert "That changes nothing in the plan: version 1 stays as it is" in said
    assert chat.card.version == 1


async def test_a_thread_reply_keeps_an_earlier_modify(chat: Chat) -> None:
    await chat.say("chase overdue invoices")
    await chat.say("modify 2 message=Friendly nudge: this one slipped through")
    assert chat.card.version == 2
    await chat.say("reply only Acme")
    assert chat.card.version == 3
    [listing, reminder] = chat.card.steps
    assert listing.args.get("client") == "Acme Corp"
    assert reminder.args.get("message") == "Friendly nudge: this one slipped through"
