"""A question or an "I can't" said in a goal's thread: posted, recorded as posted, and on a
redo after a crash posted only if it never went out.

The answer is stored as a thread message first (so a reply re-plans knowing what was
asked), then posted, then recorded. A process that dies between the post and its record
leaves an answer that looks unposted: where the platform can mark a message
(:class:`~bot.chat.port.FindsAnswers`: Slack's message metadata) the redo looks for the one
marked with the stored message's id and records it, instead of asking a second time."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.chat.port import FindsAnswers, MessageRef
from bot.chat.replies import Notice, Question
from bot.flow.addressing import where_of
from bot.store import messages
from bot.store.tables import GoalRow, ThreadMessageRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

log = logging.getLogger(__name__)


async def post_answer(app: Deputy, goal: GoalRow, answer: Question | Notice, said: ThreadMessageRow | None) -> None:
    """Post ``answer`` (the stored thread message ``said``) in the goal's thread and record it."""
    port = app.port(goal.platform)
    if said is not None and said.id is not None and isinstance(port, FindsAnswers):
        ref = await port.post_answer(where_of(goal), answer, said.id)
    else:
        ref = await port.post(where_of(goal), answer)
    await _record(app, goal, ref)


async def post_unposted(app: Deputy, goal: GoalRow, answer: Question | Notice, said: ThreadMessageRow) -> None:
    """A redo's: the answer the platform shows was posted is recorded; otherwise it is posted."""
    port = app.port(goal.platform)
    found = await port.find_answer(where_of(goal), said.id) \
        if said.id is not None and isinstance(port, FindsAnswers) else None
    if found is None:
        log.info("goal %s: delivered again after its answer was stored; posting it", goal.id)
        await post_answer(app, goal, answer, said)
        return
    log.info("goal %s: delivered again after its answer was posted; recording that message", goal.id)
    await _record(app, goal, found)


async def _record(app: Deputy, goal: GoalRow, ref: MessageRef | None) -> None:
    if ref is not None and goal.id is not None:
        async with app.database.session(team=goal.team_key) as session:
            await messages.remember(session, goal.id, None, messages.ANSWER, ref)
