"""Wraps a ChatPort so every message Deputy posts, edits or shows privately is audited, and
said only by a planner that still holds the lease of the request it works on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.chat.port import ChatPort, FindsAnswers, FindsCards, MessageRef
from bot.chat.replies import ConnectForm, Notice, PlanCard, Question, Reply, RunResult
from bot.domain import Actor, Where
from bot.store import audit, inbox_fence

if TYPE_CHECKING:
    from bot.store.database import Database


def describe(reply: Reply) -> dict[str, Any]:
    """A short account of a reply for the audit log (redacted again by the log itself)."""
    if isinstance(reply, PlanCard):
        return {"type": "plan_card", "plan": reply.plan_id, "version": reply.version,
                "state": reply.state.value, "goal": reply.goal_id}
    if isinstance(reply, RunResult):
        return {"type": "run_result", "run": reply.run_id, "succeeded": reply.succeeded,
                "text": reply.headline[:300]}
    if isinstance(reply, Notice) and reply.audit_text is not None:
        return {"type": "notice", "text": reply.audit_text[:300]}
    if isinstance(reply, Notice | Question):
        return {"type": type(reply).__name__.lower(), "text": reply.text[:300]}
    if isinstance(reply, ConnectForm):
        return {"type": "connect_form", "integration": reply.integration}
    return {"type": type(reply).__name__}


class AuditedPort:
    def __init__(self, inner: ChatPort, database: Database) -> None:
        self.inner = inner
        self.platform = inner.platform
        self._database = database

    async def _record(self, kind: str, where: dict[str, Any], reply: Reply, to: Actor | None = None) -> None:
        goal = getattr(reply, "goal_id", None)
        async with self._database.session(all_teams=True) as session:
            # the chain of the goal's team, or of the person spoken to; else the system's
            team = audit.team_of_actor(to.key) if to is not None else await audit.team_of(session, None, goal)
            await audit.append(session, kind, goal_id=goal, data={**where, **describe(reply)}, team_key=team)

    async def open_thread(self, where: Where, title: str, message_id: str | None) -> Where:
        if message_id is None:  # the adapter starts a thread: a post
            await inbox_fence.check(self._database)
        return await self.inner.open_thread(where, title, message_id)

    async def post(self, where: Where, reply: Reply) -> MessageRef | None:
        # a planner that stalled past its lease says nothing more (bot/store/inbox_fence.py)
        await inbox_fence.check(self._database)
        ref = await self.inner.post(where, reply)
        if ref is None:
            return None
        await self._record("message_posted", {"channel": where.channel_id, "thread": where.thread_id,
                                              "message": ref.message_id}, reply)
        return ref

    async def find_card(self, where: Where, plan_id: int, version: int) -> MessageRef | None:
        """The inner port's :class:`FindsCards` answer; None from a port that cannot look."""
        if isinstance(self.inner, FindsCards):
            return await self.inner.find_card(where, plan_id, version)
        return None

    async def post_answer(self, where: Where, reply: Reply, said: int) -> MessageRef | None:
        """A question or an "I can't", marked where the inner port can (:class:`FindsAnswers`)."""
        if not isinstance(self.inner, FindsAnswers):
            return await self.post(where, reply)
        await inbox_fence.check(self._database)
        ref = await self.inner.post_answer(where, reply, said)
        if ref is not None:
            await self._record("message_posted", {"channel": where.channel_id, "thread": where.thread_id,
                                                  "message": ref.message_id}, reply)
        return ref

    async def find_answer(self, where: Where, said: int) -> MessageRef | None:
        if isinstance(self.inner, FindsAnswers):
            return await self.inner.find_answer(where, said)
        return None

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        await inbox_fence.check(self._database)
        await self.inner.update(ref, reply)
        await self._record("message_edited", {"channel": ref.channel_id, "message": ref.message_id}, reply)

    async def post_private(self, where: Where, actor: Actor, reply: Reply) -> None:
        await inbox_fence.check(self._database)
        await self.inner.post_private(where, actor, reply)
        await self._record("message_private", {"channel": where.channel_id, "to": actor.key}, reply, actor)
