"""Reads lines, turns them into neutral events, and runs approved plans in-process.

After each line the in-process worker drains the queue, so ``printf 'goal\\napprove\\n' |
deputy shell`` prints the result before it exits.

What handles a line (the dispatcher, flow, the worker) is imported by :func:`warm_up`, which
the terminal runs in a thread, on a terminal once the first prompt is up, not before it
(docs/benchmarks.md, "Start-up of the `deputy` command").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.adapters.shell.form_input import Answer, Stop
from bot.adapters.shell.port import TextPort
from bot.adapters.shell.texts import SHELL_HELP
from bot.chat.buttons import ButtonId
from bot.chat.command_syntax import parse_command
from bot.chat.events import (
    ButtonPressed,
    ChatEvent,
    CommandInvoked,
    CredentialsSubmitted,
    GoalPosted,
    ModifySubmitted,
    ThreadReply,
)
from bot.chat.replies import Notice
from bot.core.deputy import Deputy
from bot.domain import LOCAL_TEAM, Actor, Where
from bot.errors import PermanentError, UserError
from bot.flow.secret_guard import WARNING, looks_like_secret
from bot.store import goals

if TYPE_CHECKING:
    from bot.execution.worker import Worker

CHANNEL = "terminal"


def warm_up() -> None:
    """Import what handling a line needs (a second's worth of the start-up on a slow machine):
    the terminal runs this in a thread (while the person types the first line) and awaits it
    before handling that line, so an import error still stops the shell, with its traceback."""
    import bot.dispatch
    import bot.execution.worker
    import bot.flow.addressing
    import bot.flow.edits
    import bot.flow.run_observer  # noqa: F401 - what an approved run reports to


def local_actor(name: str, timezone: str = "UTC") -> Actor:
    # whoever runs the shell runs Deputy: an admin of its one team (shell:local)
    return Actor(platform="shell", team_id="local", user_id=name.lower(), display_name=name,
                 timezone=timezone, admin=True)


async def known_shell_person(app: Deputy, name: str) -> bool:
    from integrations.local.demo import TEAM  # lazy: only the demo team needs it

    wanted = name.strip().lower()
    demo = {n.lower() for n, _e, _t in TEAM} | {n.split()[0].lower() for n, _e, _t in TEAM}
    if wanted in demo:
        return True
    key = local_actor(name).key
    policy = await app.policy_of(key)
    if any(key in members or wanted in members for members in policy.groups.values()):
        return True
    async with app.database.session(team=LOCAL_TEAM) as session:
        return await goals.get_actor(session, key) is not None


# asks one question of the person at the terminal: (label, secret) -> the answer, or why
# there is none (Ctrl-D, Ctrl-C)
Ask = Callable[[str, bool], Awaitable[Answer]]


async def _no_answers(label: str, secret: bool) -> Answer:
    return Stop.EOF


class ShellSession:
    def __init__(self, app: Deputy, port: TextPort, user: Actor, ask: Ask = _no_answers,
                 channel: str = CHANNEL) -> None:
        self.app = app
        self.channel = channel
        self.port = port
        self.user = user
        self.ask = ask
        self._worker: Worker | None = None
        self._events = 0
        self._pending_demo = False
        app.attach(port)

    @property
    def worker(self) -> Worker:
        """The in-process worker that runs approved plans after each line."""
        if self._worker is None:
            from bot.execution.worker import Worker

            self._worker = Worker(self.app, "shell")
        return self._worker

    def where(self, in_thread: bool = False) -> Where:
        """Where a line typed now goes: the channel, or the open thread when ``in_thread``."""
        if in_thread and self.port.current_thread is not None:
            return self.port.current_thread
        return Where(platform="shell", channel_id=self.channel)

    async def handle_line(self, line: str, actor: Actor | None = None) -> bool:
        """Handle one line; False when the user asked to quit."""
        text = line.strip()
        actor = actor or self.user
        if looks_like_secret(text):
            # refused before it is parsed, so not even an error message repeats it
            await self.port.post_private(self.where(), actor, Notice(WARNING, tone="warning"))
            return True
        if text.lower().startswith("as ") and ":" in text:
            name, _, rest = text[3:].partition(":")
            refusal = await self._unknown_person(name.strip())
            if refusal is not None:
                await self.port.post_private(self.where(), actor, Notice(refusal, tone="warning"))
                return True
            return await self.handle_line(rest, local_actor(name.strip(), actor.timezone))
        if not text:
            return True
        word, _, rest = text.partition(" ")
        word = word.lower()
        if word in ("quit", "exit"):
            return False
        try:
            if word in ("approve", "reject") and rest.strip().isdigit():
                event = await self._decide_goal(word, int(rest), actor)
            else:
                event = self._event_for(word, rest, text, actor)
        except UserError as err:
            await self.port.post_private(self.where(), actor, Notice(str(err), tone="warning"))
            return True
        if self._pending_demo:
            self._pending_demo = False
            await self.load_demo()
        if event is not None:
            from bot.dispatch import dispatch

            await dispatch(self.app, event)
            await self._answer_form(actor)
            await self.worker.drain()
        return True

    async def _unknown_person(self, name: str) -> str | None:
        """Why ``as NAME:`` may not act as NAME, or None. Acting as someone is how the shell
        tries approvals by others, so only a person the shell knows may be named: the demo
        team, someone the policy names, or someone who has used this Deputy before."""
        if not name:
            return "Say who to act as: `as NAME: approve` (nothing was done)."
        if await known_shell_person(self.app, name):
            return None
        return (f"I don't know anyone called {name[:60]!r} here, so nothing was done. Act as "
                "someone from the demo team, someone the policy names, or someone who has "
                "used Deputy before.")

    async def needs_demo(self) -> bool:
        """True when the local integration is loaded and holds no people yet."""
        loaded = self.app.registry.get("local")
        return loaded is not None and not await loaded.client.known_people(LOCAL_TEAM)

    async def load_demo(self) -> None:
        from integrations.local.demo import loaded, seed  # lazy: only `demo` needs it

        try:
            counts = await seed(self.app.database, self.app.clock().date(), self.user.timezone)
        except PermanentError as err:
            self.port.say(str(err), "warning")
            return
        self.port.say(f"Demo data loaded: {loaded(counts)}. Try: chase overdue invoices", "success")

    async def _answer_form(self, actor: Actor) -> None:
        form, self.port.pending_form = self.port.pending_form, None
        if form is None:
            return
        answers: dict[str, str] = {}
        for item in form.fields:
            optional = "" if item.required else " (optional)"
            answer = await self.ask(f"{item.label}{optional}: ", item.secret)
            if isinstance(answer, Stop):
                self.port.say(f"Connect {form.integration} cancelled ({answer.value}); nothing was "
                              "stored.", "warning")
                return
            answers[item.name] = answer
        from bot.dispatch import dispatch

        await dispatch(self.app, CredentialsSubmitted(actor=actor, where=self.where(),
                                                     integration=form.integration, fields=answers))

    async def _decide_goal(self, word: str, goal_id: int, actor: Actor) -> ChatEvent | None:
        """``approve 3``: a decision on goal #3's current plan version — from any session,
        so a plan waiting since yesterday can be approved in a new one."""
        from bot.flow.addressing import where_of

        async with self.app.database.session(team=actor.team_key) as session:
            plan = await goals.plan_for_goal(session, goal_id)
            view = await goals.load_view(session, plan.id) if plan is not None and plan.id else None
        if view is None or view.plan.id is None:
            raise UserError(f"There is no plan for goal #{goal_id}. `status` lists your goals.")
        button = ButtonId(view.plan.id, view.version.version, word)
        return ButtonPressed(actor=actor, where=where_of(view.goal), button_id=str(button))

    def _offer_button(self, word: str, rest: str) -> str | None:
        offer = self.port.latest_offer
        if offer is None or rest.strip() or word not in ("remember", "no"):
            return None
        return next((b.id for b in offer.buttons if b.label.lower() == word), None)

    def _event_for(self, word: str, rest: str, text: str, actor: Actor) -> ChatEvent | None:
        self._events += 1
        card = self.port.latest_card
        if word in ("approve", "reject", "modify", "undo") and card is None:
            raise UserError("There is no plan to answer yet. Type a goal first.")
        if word in ("approve", "reject") and card is not None and card.monitor_id is not None:
            # a monitor proposal is decided by the monitor command, not a plan button
            return CommandInvoked(actor=actor, where=self.where(), name="monitor",
                                  argument=f"{word} {card.monitor_id}")
        if word in ("approve", "reject", "undo") and card is not None:
            button = ButtonId(card.plan_id, card.version, word)
            return ButtonPressed(actor=actor, where=self.where(True), button_id=str(button))
        offer = self._offer_button(word, rest)
        if offer is not None:  # "remember" / "no" answers the memory proposal shown last
            return ButtonPressed(actor=actor, where=self.where(True), button_id=offer)
        if word == "accept":
            accept = next((b.id for b in card.buttons if b.id.endswith(":accept")), None) if card else None
            if accept is None:
                raise UserError("There is no suggestion to accept on the plan.")
            return ButtonPressed(actor=actor, where=self.where(True), button_id=accept)
        if word == "modify" and card is not None:
            from bot.flow.edits import parse_modify

            return ModifySubmitted(actor=actor, where=self.where(True), plan_id=card.plan_id,
                                   version=card.version, edits=parse_modify(rest))
        if word == "reply" or text.startswith(">"):
            body = rest if word == "reply" else text.lstrip("> ")
            if self.port.current_thread is None:
                raise UserError("There is no goal to reply to yet. Type a goal first.")
            return ThreadReply(actor=actor, where=self.where(True), text=body)
        if word == "help":
            self.port.say(SHELL_HELP, "info")
            return None
        if word == "demo" and not rest:
            self._pending_demo = True
            return None
        command = parse_command(text)
        if command is not None:
            # only the exact forms ("cancel 5", "connect crm"): "cancel the design review" is a goal
            return CommandInvoked(actor=actor, where=self.where(), name=command[0], argument=command[1])
        return GoalPosted(actor=actor, where=self.where(), text=text,
                          event_id=f"shell-{id(self)}-{self._events}")
