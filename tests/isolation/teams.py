"""A team of the isolation suite as a person in it uses Deputy: ask something privately, post
a goal and get its plan card, click a card's button (from this team, or forged from another),
connect an account through the chat's form. Slack teams go through signed HTTP requests to
the distributed app; the Discord team through the fake gateway to the real discord.py client."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel import select

from bot.app import Deputy
from bot.chat.buttons import parse_button
from bot.store.memories import MemoryRow
from bot.store.monitors import MonitorRow
from bot.store.tables import GoalRow, RunRow
from tests.adapters.discord.cards import custom_ids
from tests.adapters.discord.conftest import Running
from tests.adapters.discord.conftest import eventually as until
from tests.adapters.discord.test_bad_input_end_to_end import private_answer, private_answers
from tests.adapters.discord.test_guilds import plan_card
from tests.adapters.slack import wire
from tests.adapters.slack.distributed import CHANNELS, Installed
from tests.adapters.slack.live import Card, eventually, text_of
from tests.fakes.slack_api import Call

NOTE = "add a note to Acme: renewal due in May for {marker}"
INVOICE = "invoice Acme for last month"
MONITOR = "every 2 hours list unpaid invoices here"
FINISHED = ("succeeded", "failed", "cancelled")


@dataclass
class Work:
    """What a team did, by id: the targets of the other teams' forged clicks and commands."""

    done_goal: int = 0
    waiting_goal: int = 0
    waiting_card: Any = None  # the platform's card (a Slack Card, a Discord message)
    monitor: int = 0
    memory: int = 0
    token: str = ""


class Team(Protocol):
    marker: str
    work: Work

    @property
    def key(self) -> str: ...
    @property
    def app(self) -> Deputy: ...

    async def ask(self, text: str) -> str: ...
    async def plan(self, goal: str) -> Any: ...
    async def click(self, card: Any, action: str, forged_from: Team | None = None) -> None: ...
    def forged_card(self, button: str) -> Any: ...
    def button(self, card: Any, action: str) -> str: ...
    async def connect(self, token: str) -> str: ...


@dataclass
class SlackTeam:
    slack: Installed
    team_id: str
    marker: str
    user: str = "U0ANNA"  # U0ANNA is a member of both workspaces: the same user id twice
    work: Work = field(default_factory=Work)

    @property
    def key(self) -> str:
        return f"slack:{self.team_id}"

    @property
    def app(self) -> Deputy:
        return self.slack.app

    @property
    def channel(self) -> str:
        return CHANNELS[self.team_id]

    def _answers(self, since: int) -> list[Call]:
        return [c for c in self.slack.api.calls[since:] if c.method in ("chat.postEphemeral", "chat.postMessage")
                and c.params.get("channel") == self.channel and not c.params.get("blocks", [{}])[-1:] == []]

    async def ask(self, text: str) -> str:
        since = len(self.slack.api.calls)
        assert await self.slack.slash(self.team_id, text, user=self.user) == 200
        await eventually(lambda: bool(self._answers(since)), 15, f"an answer to {text!r} in {self.team_id}")
        call = self._answers(since)[0]
        return str(call.params.get("text", "")) + "\n" + text_of(list(call.params.get("blocks") or []))

    async def plan(self, goal: str) -> Card:
        count = len(self.slack.cards_in(self.team_id))
        assert await self.slack.slash(self.team_id, goal, user=self.user) == 200
        return await self.slack.card(self.team_id, count + 1)

    async def click(self, card: Any, action: str, forged_from: Team | None = None) -> None:
        if isinstance(card, Card):
            # a Slack click from this workspace (or, forged, from another's), on the card's message
            team = forged_from.team_id if isinstance(forged_from, SlackTeam) else self.team_id
            assert await self.slack.click(card, action, team=team, user=self.user) == 200
        else:
            raise TypeError(card)

    def forged_card(self, button: str) -> Card:
        """A message in this workspace whose button carries ``button`` (another team's id)."""
        parsed = parse_button(button)
        call = Call("chat.postMessage", {"channel": self.channel, "thread_ts": "1760000999.000999"}, 0.0, True)
        return Card(call, "1760000999.000998", {parsed.action: parsed}, {parsed.action: ""})

    def button(self, card: Card, action: str) -> str:
        return str(card.buttons[action])

    async def connect(self, token: str) -> str:
        since = len(self.slack.api.calls)
        assert await self.slack.slash(self.team_id, "connect acme", user=self.user) == 200
        opened = (await self.slack.api.wait_for("views.open", count=len(self.slack.api.of("views.open")) + 1))[-1]
        view = opened.params["view"]
        view["blocks"] = [{**b, "element": {**b["element"], "initial_value": ""}} if b["type"] == "input" else b
                          for b in view["blocks"]]
        payload = wire.view_submission(view, {"field:access_token": token}, user=self.user)
        payload["team"] = {"id": self.team_id, "domain": self.marker}
        payload["user"]["team_id"] = self.team_id
        payload["view"]["team_id"] = payload["view"]["app_installed_team_id"] = self.team_id
        assert await self.slack.send(wire.interactive(payload), wire.FORM) == 200
        await eventually(lambda: any("Connected" in str(c.params.get("text")) for c in self._answers(since)), 15,
                         f"connected in {self.team_id}")
        return "Connected"


@dataclass
class DiscordTeam:
    app: Deputy
    running: Running
    marker: str
    person: str = "alice"
    work: Work = field(default_factory=Work)

    @property
    def key(self) -> str:
        return f"discord:{self.running.fake.guild_id}"

    async def ask(self, text: str) -> str:
        fake = self.running.fake
        return await private_answer(fake, await fake.slash(self.person, text, channel_id=fake.channel_id))

    async def plan(self, goal: str) -> dict[str, Any]:
        fake = self.running.fake
        return await plan_card(fake, self.person, goal, fake.channel_id)

    async def click(self, card: Any, action: str, forged_from: Team | None = None) -> None:
        fake = self.running.fake
        clicked = await fake.click(self.person, card["id"], card.get("forged") or self.button(card, action))
        if forged_from is None and action == "approve" and not card.get("forged"):
            return  # the card's update says it
        await until(lambda: bool(private_answers(fake, clicked)), 15)
        if card.get("forged"):  # discord.py hands it to the core, which refuses it
            [answer] = private_answers(fake, clicked)
            assert "belongs to another team" in answer or "There is no memory" in answer, answer

    def forged_card(self, button: str) -> dict[str, Any]:
        """This guild's waiting card, clicked with ``button`` (another team's id) instead."""
        return {**self.work.waiting_card, "forged": button}

    def button(self, card: dict[str, Any], action: str) -> str:
        return next(c for c in custom_ids(card) if c.endswith(f":{action}"))

    async def connect(self, token: str) -> str:
        fake = self.running.fake
        await fake.slash(self.person, "connect acme", channel_id=fake.channel_id)
        await until(lambda: any(m["content"].startswith("🔑") for m in fake.messages.values()), 15)
        message = next(m for m in fake.messages.values() if m["content"].startswith("🔑"))
        button = message["components"][0]["components"][0]["custom_id"]
        opened = await fake.click(self.person, message["id"], button)
        await until(lambda: bool(fake.callbacks_for(opened)), 15)
        [modal] = fake.callbacks_for(opened)
        field_id = modal.data["components"][0]["components"][0]["custom_id"]
        submitted = await fake.submit_modal(self.person, message["id"], modal.data["custom_id"], {field_id: token})
        await until(lambda: bool(private_answers(fake, submitted)), 15)
        [answer] = private_answers(fake, submitted)
        return answer


async def rows_of(app: Deputy, team: str, table: Any) -> list[Any]:
    async with app.database.session(team=team) as session:
        return list((await session.exec(select(table))).all())


async def newest(app: Deputy, team: str, table: Any) -> Any:
    return max(await rows_of(app, team, table), key=lambda row: row.id or 0)


async def run_finished(app: Deputy, team: str, goal_id: int) -> RunRow:
    for _ in range(600):
        runs = [r for r in await rows_of(app, team, RunRow) if r.goal_id == goal_id and r.status in FINISHED]
        if runs:
            return runs[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"goal {goal_id} of {team} never finished")


async def do_work(team: Team) -> None:
    """Real work in ``team``: teach, connect, plan and approve a note (run by the worker), a
    monitor approved, an invoice plan left waiting."""
    work = team.work
    taught = await team.ask(f"remember for the team: {team.marker} standups are 15 minutes")
    assert team.marker in taught, taught
    work.memory = (await newest(team.app, team.key, MemoryRow)).id
    work.token = f"tok-{team.marker}-0123456789"
    assert "Connected" in await team.connect(work.token)

    card = await team.plan(NOTE.format(marker=team.marker))
    await team.click(card, "approve")
    work.done_goal = (await newest(team.app, team.key, GoalRow)).id
    run = await run_finished(team.app, team.key, work.done_goal)
    assert run.status == "succeeded", run

    proposed = await team.plan(MONITOR)
    work.monitor = (await newest(team.app, team.key, MonitorRow)).id
    await team.click(proposed, "monitor-approve")

    work.waiting_card = await team.plan(INVOICE)
    work.waiting_goal = (await newest(team.app, team.key, GoalRow)).id
