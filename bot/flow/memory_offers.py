"""Deputy offers to remember what a person just taught it: "Remember that meetings with
Globex are 30 minutes? [Remember] [No]".

What is offered is always the person's own words, in a statement `remember` would take:
their answer to one of Deputy's questions (who is on the team, which Ana, how long), or the
same change they made to two plans (a meeting's length, twice). Integration data, a run's
output and a planner's (a model's) text never become an offer: a question only picks the
template, the answer fills it. The buttons are bound to the offer's id and to the person
who taught it; only their click, in the channel where they taught it, keeps it (with the
message it came from, audited) or refuses it — and a refused offer is never made again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.buttons import ButtonId, memory_button
from bot.chat.events import ButtonPressed, ModifySubmitted, ThreadReply
from bot.chat.port import MessageRef
from bot.chat.replies import Button, Notice
from bot.domain import Actor, PlanningOutcome, Where
from bot.flow.addressing import where_of
from bot.flow.memory_commands import keep, kept_audit
from bot.memory import learned
from bot.memory.statements import NotAStatement, parse
from bot.store import audit
from bot.store import memory_proposals as offers
from bot.store.database import Session
from bot.store.goals import PlanView

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

async def after_answer(app: Deputy, event: ThreadReply, goal_id: int, goal_text: str,
                       history: tuple[tuple[str, str], ...], outcome: PlanningOutcome) -> None:
    """The requester answered Deputy's last question and a plan came of it: offer to keep
    what the answer said, when it is one of the facts a plan can use again."""
    question = _last_question(history, event.actor.label)
    if question is None or not learned.made_a_plan(outcome):
        return
    statement = learned.from_answer(question, event.text, goal_text)
    if statement is None:
        return
    await _offer(app, event.actor, event.where, goal_id, statement, event.event_id or "",
                 reason=f"from your answer to “{question[:120]}”", twice=False)


def _last_question(history: tuple[tuple[str, str], ...], label: str) -> str | None:
    """Deputy's message just before the person's reply (the last entry), if any."""
    if len(history) < 2 or history[-1][0] != label or history[-2][0] != "Deputy":
        return None
    return history[-2][1]


async def after_modify(app: Deputy, event: ModifySubmitted, view: PlanView) -> None:
    """The requester changed a meeting's length: the second time on another goal, offer it."""
    if event.actor.key != view.goal.requester_key or view.goal.id is None:
        return
    for edit in event.edits:
        step = next((s for s in view.steps if s.position == edit.step), None)
        if step is None:
            continue
        statement = learned.from_change(step.action, edit.key, edit.value, view.goal.text)
        if statement is not None:
            await _offer(app, event.actor, where_of(view.goal),
                         view.goal.id, statement, event.event_id or "",
                         reason="you made the same change to two plans", twice=True)


async def _offer(app: Deputy, actor: Actor, where: Where, goal_id: int, statement: str, source: str,
                 *, reason: str, twice: bool) -> None:
    try:
        parse(statement)
    except NotAStatement:
        return
    team_key = f"{actor.platform}:{actor.team_id}"
    async with app.database.session(team=actor.team_key) as session:
        row = await offers.find(session, team_key, actor.key, statement, for_update=True)
        if row is None:
            row = await offers.add(session, offers.MemoryProposalRow(
                team_key=team_key, channel_id=where.channel_id, statement=statement, text=statement,
                taught_by=actor.key, taught_by_name=actor.label, source_message=source, goal_id=goal_id,
                reason=reason, status=offers.SEEN if twice else offers.PROPOSED))
            show = row is not None and row.status == offers.PROPOSED
        elif row.status == offers.SEEN and row.goal_id != goal_id and row.channel_id == where.channel_id:
            row.status, row.source_message, row.goal_id = offers.PROPOSED, source, goal_id
            await offers.save(session, row)
            show = True
        else:
            show = False  # asked before (kept, refused or waiting), or the same goal again
        if show and row is not None:
            await audit.append(session, "memory_proposed", actor_key=actor.key, goal_id=goal_id,
                               data={"proposal": row.id, "text_digest": audit.digest(session, row.text),
                                     "source_message": source})
    if not show or row is None or row.id is None:
        return
    ref = await app.port(where.platform).post(where, offer_notice(row))
    if ref is not None:
        async with app.database.session(team=actor.team_key) as session:
            await offers.set_message(session, row.id, ref)


def offer_notice(row: offers.MemoryProposalRow) -> Notice:
    assert row.id is not None
    return Notice(
        f"{row.taught_by_name or 'You'}: remember that {row.text}? (Learned {row.reason}; kept for "
        "this channel, for later plans.)", audit_text=f"Offered to remember: proposal #{row.id}.",
        buttons=(Button(str(memory_button(row.id, "remember")), "Remember", "primary"),
                 Button(str(memory_button(row.id, "no")), "No")))


async def on_offer_button(app: Deputy, event: ButtonPressed, button: ButtonId) -> None:
    """[Remember] or [No] on an offer: only the person who taught it, where they taught it."""
    port = app.port(event.where.platform)
    remember = button.action == "memory-remember"
    try:
        async with app.database.session(team=event.actor.team_key) as session:
            row = await offers.get(session, button.version, for_update=True)
            refusal = _refusal(row, event)
            if refusal is None and row is not None:
                said, logged = await _answer(app, session, event, row, remember)
    except _Answered:  # the other click of a double click answered first: what it decided
        async with app.database.session(team=event.actor.team_key) as session:
            row = await offers.get(session, button.version)
        refusal = _refusal(row, event) or "That memory proposal was just answered; nothing was changed."
    if refusal is not None or row is None:
        await port.post_private(event.where, event.actor, Notice(refusal or "", tone="warning"))
        return
    # the clicked message (its platform says which), else the one the offer was posted as
    ref = (MessageRef(platform=event.where.platform, channel_id=event.where.channel_id, message_id=event.message_id,
                      thread_id=event.where.thread_id, team=event.where.team) if event.message_id else offers.message_of(row))
    answered = Notice(said, tone="success" if remember else "info", audit_text=logged)
    if ref is not None:
        await port.update(ref, answered)  # the offer, its buttons gone, says what was decided
    else:
        await port.post_private(event.where, event.actor, answered)


class _Answered(Exception):
    """The proposal was answered by another click after this one read it (rolled back)."""


async def _answer(app: Deputy, session: Session, event: ButtonPressed, row: offers.MemoryProposalRow,
                  remember: bool) -> tuple[str, str]:
    """Keep or decline the offer in the caller's transaction: (what is said, its audit text)."""
    if not remember:
        if not await offers.decide(session, row, offers.DECLINED):
            raise _Answered
        await audit.append(session, "memory_proposal_declined", actor_key=event.actor.key,
                           goal_id=row.goal_id, data={"proposal": row.id,
                                                      "text_digest": audit.digest(session, row.text)})
        return f"Not remembered: “{row.text}”. I won't offer it again.", f"Not remembered: proposal #{row.id}."
    memory, older = await keep(app, session, event.actor, row.channel_id, parse(row.text),
                               row.source_message, proposal=row.id)
    if not await offers.decide(session, row, offers.REMEMBERED, memory.id):
        raise _Answered  # the memory kept above is rolled back with it
    said = f"Remembered for this channel: “{memory.text}” (#{memory.id}). `forget {memory.id}` ends it."
    said += "".join(f"\nIt replaces #{o.id} “{o.text}” (kept in history)." for o in older)
    return said, kept_audit(memory, older)


def _refusal(row: offers.MemoryProposalRow | None, event: ButtonPressed) -> str | None:
    team_key = f"{event.actor.platform}:{event.actor.team_id}"
    if row is None or row.team_key != team_key or row.status == offers.SEEN:
        return "I can't find that memory proposal; nothing was changed."
    if row.channel_id != event.where.channel_id:
        return "That memory proposal belongs to another channel; nothing was changed."
    if row.taught_by != event.actor.key:
        return (f"Only {row.taught_by_name or row.taught_by} can answer this: it is what they taught me. "
                "Nothing was changed.")
    if row.status == offers.REMEMBERED:
        return f"Already remembered (#{row.memory_id}); nothing more to do."
    if row.status == offers.DECLINED:
        return "You already said no to this; nothing was changed."
    return None

