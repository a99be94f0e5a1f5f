"""The shell's ChatPort: prints replies; a plan card being updated prints only what changed."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from bot.adapters.shell.render import STATE_MARK, answers_text, render
from bot.chat.inert import terminal_text
from bot.chat.port import MessageRef
from bot.chat.replies import CardState, ConnectForm, Notice, PlanCard, Reply, RunResult, StepState
from bot.domain import Actor, Where


class TextPort:
    platform = "shell"

    def __init__(self, write: Callable[[str, str], None]) -> None:
        # write(text, tone): the terminal colours by tone; tests just collect the text. What
        # is printed passes terminal_text first: a name or a note holding an escape sequence
        # must not recolour, retitle or clear the terminal
        self._out = write
        self._ids = itertools.count(1)
        self._threads = itertools.count(1)
        self._cards: dict[str, PlanCard] = {}
        self.latest_card: PlanCard | None = None
        self.current_thread: Where | None = None
        # a connect form the session must ask for, privately, before the next line
        self.pending_form: ConnectForm | None = None
        # the newest notice with buttons ([Remember] [No] on a memory proposal)
        self.latest_offer: Notice | None = None

    def say(self, text: str, tone: str = "info") -> None:
        """Print one line: a reply's, or the shell's own (greeting, help, notices)."""
        self._out(terminal_text(text), tone)

    async def open_thread(self, where: Where, title: str, message_id: str | None) -> Where:
        thread = Where(platform=self.platform, channel_id=where.channel_id,
                       thread_id=f"t{next(self._threads)}")
        self.current_thread = thread
        return thread

    async def post(self, where: Where, reply: Reply) -> MessageRef:
        ref = MessageRef(self.platform, where.channel_id, f"m{next(self._ids)}", where.thread_id)
        if isinstance(reply, PlanCard):
            self._cards[ref.message_id] = reply
            self.latest_card = reply
            if where.thread_id:
                self.current_thread = where
        if isinstance(reply, Notice) and reply.buttons:
            self.latest_offer = reply
        if isinstance(reply, RunResult):
            # the steps were already printed as they ran; say only how it ended
            tone = "success" if reply.succeeded else "error"
            self.say("\n".join([("✓" if reply.succeeded else "✗") + f" Run {reply.run_id}: {reply.headline}",
                                    *answers_text(reply.answers)]), tone)
            return ref
        self.say(render(reply), getattr(reply, "tone", "info"))
        return ref

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        before = self._cards.get(ref.message_id)
        if isinstance(reply, Notice) and not reply.buttons:
            self.latest_offer = None  # the proposal was answered
        if not isinstance(reply, PlanCard) or before is None:
            self.say(render(reply), "info")
            return
        self._cards[ref.message_id] = reply
        if self.latest_card is not None and self.latest_card.plan_id == reply.plan_id \
                and self.latest_card.version == reply.version:
            self.latest_card = reply
        for old, new in zip(before.steps, reply.steps, strict=False):
            if old.state != new.state and new.state is not StepState.PENDING:
                detail = f" — {new.detail}" if new.detail else ""
                self.say(f"  {STATE_MARK[new.state]} {new.number}. {new.description}{detail}",
                            "error" if new.state is StepState.FAILED else "info")
        known = set(before.note.splitlines())
        for line in reply.note.splitlines():
            if line not in known:  # e.g. a suggestion someone made in the thread
                self.say(f"  {line}", "info")
        if _offers(reply, ":accept") and not _offers(before, ":accept"):
            self.say("(type `accept` to take up the suggestion)", "info")
        if _offers_undo(reply) and not _offers_undo(before):
            self.say(f"(plan {reply.plan_id} v{reply.version} can be undone: type `undo`)", "info")
        if before.state != reply.state and reply.state in (
                CardState.SUPERSEDED, CardState.REJECTED, CardState.CANCELLED, CardState.APPROVED):
            self.say(f"(plan {reply.plan_id} v{reply.version} is now {reply.state.value})", "info")
        elif before.approved_by != reply.approved_by and reply.state is CardState.AWAITING:
            self.say(f"(plan {reply.plan_id} v{reply.version}: approved by "
                        f"{', '.join(reply.approved_by)}; {reply.approvals_required} needed)", "info")

    async def post_private(self, where: Where, actor: Actor, reply: Reply) -> None:
        if isinstance(reply, ConnectForm):
            self.pending_form = reply
        self.say(render(reply), getattr(reply, "tone", "info"))


def _offers_undo(card: PlanCard) -> bool:
    return any(b.id.endswith(":undo") for b in card.buttons)


def _offers(card: PlanCard, suffix: str) -> bool:
    return any(b.id.endswith(suffix) for b in card.buttons)
