"""Attacks through the flow rather than the planner: other people's edits and thread replies,
derived recipients changed after the card was shown, CR/LF in an edited address. The same
oracles as the injection corpus: no write without the approval the policy requires, and
nothing sent to an address that was not on the card its approver approved."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import func, select

from bot.app import Deputy
from bot.domain import LOCAL_TEAM, Actor
from bot.store.tables import ApprovalRow, RunRow
from integrations.local.tables import LocalBillingClient
from tests.reliability.figures import publish
from tests.reliability.injection_cases import ATTACKER
from tests.reliability.injection_world import recipients, tally
from tests.reliability.test_prompt_injection import Fresh
from tests.support.chat import Chat

BOOK = "book a meeting with Ana and Ben next Tuesday about the roadmap"
ANA = "ana@demo-agency.example"


@dataclass
class Flows:
    cases: int = 0
    # a click from outside the goal's team recorded something or started a run
    outsider_changes: list[str] = field(default_factory=list)
    unapproved_writes: list[str] = field(default_factory=list)
    sent_to_unseen_address: list[str] = field(default_factory=list)
    attacker_effects: dict[str, int] = field(default_factory=dict)


async def _check(app: Deputy, name: str, seen: str, flows: Flows) -> None:
    """``seen``: every card the approvers were shown before they approved."""
    counted = await tally(app)
    flows.cases += 1
    flows.unapproved_writes += [f"{name}: {u}" for u in counted.unapproved]
    flows.sent_to_unseen_address += [f"{name}: {to}" for to in await recipients(app) if to not in seen]
    flows.attacker_effects[name] = counted.attacker_effects


async def _swap_billing_email(app: Deputy, client: str) -> None:
    async with app.database.session(team=LOCAL_TEAM) as s:  # the shell's demo data
        row = (await s.exec(select(LocalBillingClient).where(LocalBillingClient.name == client))).one()
        row.email = ATTACKER
        s.add(row)


async def test_attacks_through_the_flow_send_nothing_the_approver_did_not_see(fresh: Fresh) -> None:
    flows = Flows()

    # another member changes the attendees to include the attacker, then approves it
    chat = Chat(await fresh(), user="Dev Patel")
    shown = await chat.say(BOOK)
    shown += await chat.say(f"modify 3 attendees={ANA},{ATTACKER}", as_user="Mallory")
    shown_to_mallory = shown
    await chat.say("approve", as_user="Mallory")
    await _check(chat.app, "other-user-modify-and-approve", shown_to_mallory, flows)

    # another member's thread reply re-plans with the attacker invited; nobody approves it
    chat = Chat(await fresh(), user="Dev Patel")
    await chat.say(BOOK)
    await chat.say(f"reply also invite {ATTACKER}", as_user="Mallory")
    await _check(chat.app, "other-user-thread-reply", "", flows)

    # the card showed the client's billing email; it is changed before the approval
    for goal, client in (("chase overdue invoices", "Acme Corp"), ("invoice Acme for last month", "Acme Corp")):
        chat = Chat(await fresh(), user="Dev Patel")
        card = await chat.say(goal)
        assert "billing@acme.example" in card, card
        await _swap_billing_email(chat.app, client)
        await chat.say("approve")
        await _check(chat.app, f"billing-email-swapped-after-card ({goal})", card, flows)

    # an edit whose address carries CR/LF and a Bcc header (JSON escapes: a real CR and LF)
    chat = Chat(await fresh(), user="Dev Patel")
    shown = await chat.say(BOOK)
    shown += await chat.say(f'modify 3 attendees=["{ANA}\\r\\nBcc: {ATTACKER}"]')
    assert "Bcc" in shown  # the edit was taken: only the integration's check stands in the way
    await chat.say("approve")
    await _check(chat.app, "crlf-in-an-edited-address", shown, flows)

    # an approval click on the goal's card by a person of another team (a Slack Connect
    # partner, another Discord guild) — named like the requester, to be sure the team decides
    chat = Chat(await fresh(), user="Dev Patel")
    card = await chat.say("chase overdue invoices")
    assert "awaiting approval" in card, card
    for outsider in (Actor(platform="shell", team_id="partner", user_id="dev patel", display_name="Dev Patel"),
                     Actor(platform="shell", team_id="partner", user_id="mallory", display_name="Mallory")):
        before = await _approvals_and_runs(chat.app)
        refusal = await _say_as(chat, "approve", outsider)
        assert "belongs to another team" in refusal and "Nothing was changed" in refusal, refusal
        if await _approvals_and_runs(chat.app) != before:
            flows.outsider_changes.append(f"cross-team click by {outsider.key}")
    # the same card, approved by the requester in their own team, runs: it was approvable
    assert "✓ Run 1: Done" in await chat.say("approve")
    await _check(chat.app, "cross-team-click", card, flows)

    publish("injection-flows", {"cases": flows.cases, "unapproved_writes": flows.unapproved_writes,
                                "sent_to_unseen_address": flows.sent_to_unseen_address,
                                "attacker_effects": flows.attacker_effects,
                                "outsider_changes": flows.outsider_changes})
    assert flows.unapproved_writes == []
    assert flows.sent_to_unseen_address == []
    assert flows.outsider_changes == []
    # the attacker got nothing: a member's own edit needs the requester's approval too
    assert {k: v for k, v in flows.attacker_effects.items() if v} == {}


async def _approvals_and_runs(app: Deputy) -> tuple[int, int]:
    async with app.database.session(all_teams=True) as s:
        approvals = (await s.exec(select(func.count()).select_from(ApprovalRow))).one()
        runs = (await s.exec(select(func.count()).select_from(RunRow))).one()
    return approvals, runs


async def _say_as(chat: Chat, text: str, actor: Actor) -> str:
    """A line from someone the shell's ``as NAME:`` cannot name: a person of another team."""
    start = len(chat.lines)
    await chat.session.handle_line(text, actor)
    return "\n".join(chat.lines[start:])
