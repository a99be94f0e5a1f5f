"""The README's deployment, as separate OS processes on PostgreSQL: `web` (Slack over HTTP),
`planner` (plans what `web` acknowledged), `discord` (the gateway), two `worker`s and two
`scheduler`s, against the fake Slack and fake Discord servers running in this test.

A signed slash command and a Discord mention each become a plan (the Slack one acknowledged by
`web` and planned by `planner`); the approval is clicked in the web / discord process; a worker (another process) runs it, and its progress and result
appear in the right thread on each platform; a monitor's digest is queued by the leading
scheduler and posted by a worker; the leader is SIGKILLed and the digests go on, each
firing posted exactly once. Every process must be able to post: each one's /readyz must
report Slack and Discord ready (a real auth.test and /users/@me), and nothing may be left
undelivered.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlmodel import col, select

from bot.scheduling.leader import leader_query
from bot.store.database import Database
from bot.store.monitors import MonitorFiringRow
from bot.store.tables import GoalRow, RunRow
from bot.vault.keys import generate_key
from tests.adapters.slack import wire
from tests.adapters.slack.conftest import USERS
from tests.adapters.slack.live import buttons_of
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.support import postgres
from tests.support.deputy_process import clean_environ, deputy_once, free_port, spawn

pytestmark = pytest.mark.slow

SLACK_TOKEN = "xoxb-0000-topology-token"
FINANCE = "C0FINANCE"
START_WITHIN = 120.0  # six interpreters starting at once on a shared two-core machine


@dataclass
class Proc:
    name: str
    process: asyncio.subprocess.Process
    log: Path
    url: str

    def said(self) -> str:
        return self.log.read_text(errors="replace")


class Topology:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp, self.env = tmp, env
        self.procs: dict[str, Proc] = {}
        self.stopped: set[str] = set()  # stopped on purpose: their exit is no failure

    def alive(self) -> list[Proc]:
        return [p for name, p in self.procs.items() if name not in self.stopped]

    async def cli(self, *args: str) -> str:
        return await deputy_once(*args, env=self.env, cwd=self.tmp)

    async def start(self, name: str, *args: str, extra: dict[str, str] | None = None) -> Proc:
        port = free_port()
        log = self.tmp / f"{name}.log"
        process = await spawn(*args, "--host", "127.0.0.1", "--port", str(port),
                              env={**self.env, **(extra or {})}, cwd=self.tmp, log=log)
        proc = Proc(name, process, log, f"http://127.0.0.1:{port}")
        self.procs[name] = proc
        return proc

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} (pid {p.process.pid}) ---\n{p.said()[-2500:]}"
                         for p in self.procs.values())

    async def stop(self) -> None:
        for proc in self.procs.values():
            if proc.process.returncode is None:
                proc.process.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                await asyncio.wait_for(proc.process.wait(), 15)
            except TimeoutError:
                proc.process.kill()
                await proc.process.wait()


async def eventually(check: Callable[[], Awaitable[bool] | bool], within: float, what: str,
                     topology: Topology) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        for proc in topology.alive():
            if proc.process.returncode is not None:
                raise AssertionError(f"{proc.name} exited with {proc.process.returncode}\n{topology.logs()}")
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached in {within}s: {what}\n{topology.logs()}")
        await asyncio.sleep(0.2)


async def get_json(session: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    try:
        async with session.get(url) as response:
            if response.content_type != "application/json":
                return response.status, {}
            return response.status, await response.json()
    except aiohttp.ClientConnectionError:
        return 0, {}


# -- reading what happened ---------------------------------------------------------------


def slack_cards(api: FakeSlackApi) -> list[Call]:
    return [c for c in api.of("chat.postMessage")
            if c.params.get("thread_ts") and buttons_of(c.params.get("blocks") or [])[0]]


def discord_bot_messages(fake: FakeDiscord, channel_id: str) -> list[dict[str, Any]]:
    return [m for m in fake.messages.values()
            if m["channel_id"] == channel_id and m["author"]["id"] == fake.bot["id"]]


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message["components"] for c in row["components"]]


async def rows(url: str, statement: Any) -> list[Any]:
    db = Database(url)
    try:
        async with db.session(all_teams=True) as session:
            return list((await session.exec(statement)).all())
    finally:
        await db.dispose()


def pid_of(worker_id: str | None) -> int:
    return int(str(worker_id).split(":")[1])


async def leader_pid(url: str) -> int | None:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            name = (await conn.execute(text(leader_query()))).scalar_one_or_none()
    finally:
        await db.dispose()
    return None if name is None else int(str(name).rsplit(":", 1)[1])


async def scrape(session: aiohttp.ClientSession, url: str) -> dict[str, float]:
    async with session.get(url + "/metrics") as response:
        assert response.status == 200
        found: dict[str, float] = {}
        for family in text_string_to_metric_families(await response.text()):
            for sample in family.samples:
                if not sample.labels:
                    found[sample.name] = sample.value
        return found


# -- the test ---------------------------------------------------------------------------


def test_the_procfile_topology_works_end_to_end(tmp_path: Path) -> None:
    with postgres.throwaway_database(postgres.server_url()) as url:
        asyncio.run(scenario(url, tmp_path))


async def scenario(url: str, tmp: Path) -> None:
    slack = await FakeSlackApi(users=dict(USERS), tokens={SLACK_TOKEN}).start()
    discord = FakeDiscord()
    await discord.start()
    env = {
        **clean_environ(),
        "DEPUTY_DATABASE_URL": url,
        "DEPUTY_HOME": str(tmp / "home"),
        "DEPUTY_MASTER_KEY": generate_key("k1").entry(),
        "DEPUTY_LOG_LEVEL": "INFO",
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "DEPUTY_SLACK_API_URL": slack.base_url,
        "DEPUTY_SLACK_POST_INTERVAL_SECONDS": "0",
        "DISCORD_TOKEN": discord.token,
        "DEPUTY_DISCORD_API_URL": discord.api_url,
        "DEPUTY_DISCORD_GATEWAY_URL": discord.gateway_url,
        "DEPUTY_WORKER_POLL_SECONDS": "0.2",
        "DEPUTY_SCHEDULER_SYNC_SECONDS": "1",
        "DEPUTY_SCHEDULER_STANDBY_RETRY_SECONDS": "1",
    }
    topology = Topology(tmp, env)
    try:
        await topology.cli("db", "upgrade")
        # the local integration keeps each team's data apart: the demo for the Slack workspace,
        # the Discord guild and the shell
        await topology.cli("demo", "seed", "--team", f"slack:{wire.TEAM}", "--team", f"discord:{discord.guild_id}",
                           "--team", "shell:local")
        # the Procfile's lines (health ports added so the test can ask each process)
        web = await topology.start("web", "serve", "--platforms", "slack", "--no-worker", "--no-scheduler",
                                   "--no-plan", extra={"SLACK_SIGNING_SECRET": wire.SECRET})
        # opens what `web` queued: the same signing secret (the inbox's seal)
        await topology.start("planner", "planner", "run", extra={"SLACK_SIGNING_SECRET": wire.SECRET})
        await topology.start("discord", "discord")
        workers = [await topology.start(f"worker{n}", "worker") for n in (1, 2)]
        schedulers = [await topology.start(f"scheduler{n}", "scheduler") for n in (1, 2)]
        async with aiohttp.ClientSession() as session:
            await all_ready(session, topology)
            await slack_goal_runs_in_a_worker(session, web, slack, url, workers, topology)
            await discord_goal_runs_in_a_worker(discord, url, workers, topology)
            await digests_survive_the_leader(session, slack, url, workers, schedulers, topology)
            await all_ready(session, topology)  # and nothing was left undelivered by anyone
        await topology.stop()
        # one gateway session for the token: `web` took Slack only, the rest post over REST
        assert discord.identifies == 1
        for proc in topology.procs.values():
            said = proc.said()
            assert "not configured in this process" not in said, f"{proc.name}:\n{said[-3000:]}"
            assert SLACK_TOKEN not in said and discord.token not in said
    finally:
        await topology.stop()
        await slack.stop()
        await discord.stop()


async def all_ready(session: aiohttp.ClientSession, topology: Topology) -> None:
    """Every process posts to both platforms: its readiness says so (auth.test, users/@me)."""
    answers: dict[str, tuple[int, dict[str, Any]]] = {}

    async def every_one_ready() -> bool:
        for proc in topology.alive():
            answers[proc.name] = await get_json(session, proc.url + "/readyz")
        return all(status == 200 for status, _ in answers.values())

    await eventually(every_one_ready, START_WITHIN, "every process ready", topology)
    for name, (_, body) in answers.items():
        assert body["checks"] == {"database": True, "slack": True, "discord": True}, (name, body)


async def slack_goal_runs_in_a_worker(session: aiohttp.ClientSession, web: Proc, slack: FakeSlackApi,
                                      url: str, workers: list[Proc], topology: Topology) -> None:
    body = wire.slash_command("chase overdue invoices", response_url=slack.response_url)
    async with session.post(web.url + "/slack/events", data=body.encode(),
                            headers={"Content-Type": wire.FORM, **wire.sign(body)}) as response:
        assert response.status == 200
    await eventually(lambda: bool(slack_cards(slack)), 30, "the Slack plan card", topology)
    [card] = slack_cards(slack)
    thread = str(card.params["thread_ts"])
    buttons, values = buttons_of(card.params["blocks"])
    payload = wire.block_actions(str(buttons["approve"]), value=values["approve"], user="U0ANNA",
                                 thread_ts=thread, message_ts=str((card.answer or {})["ts"]))
    clicked = wire.interactive(payload)
    async with session.post(web.url + "/slack/events", data=clicked.encode(),
                            headers={"Content-Type": wire.FORM, **wire.sign(clicked)}) as response:
        assert response.status == 200

    def result() -> list[Call]:
        return [c for c in slack.of("chat.postMessage")
                if c.params.get("thread_ts") == thread and "Done:" in str(c.params.get("text"))]

    await eventually(lambda: bool(result()), 60, "the Slack run's result in its thread", topology)
    assert str(result()[0].params["channel"]) == wire.CHANNEL
    # progress: the card in the thread was redrawn as the steps ran, finally as done
    updates = [c for c in slack.of("chat.update") if c.params.get("ts") == (card.answer or {})["ts"]]
    assert updates and "✓" in json.dumps(updates[-1].params["blocks"], ensure_ascii=False)
    [run] = await rows(url, select(RunRow).join(GoalRow, col(GoalRow.id) == col(RunRow.goal_id))
                       .where(GoalRow.platform == "slack"))
    assert run.status == "succeeded" and pid_of(run.claimed_by) in {w.process.pid for w in workers}


async def discord_goal_runs_in_a_worker(discord: FakeDiscord, url: str, workers: list[Proc],
                                        topology: Topology) -> None:
    asked = await discord.post_message("alice", f"<@{discord.bot['id']}> invoice Acme for last month")
    await eventually(lambda: any(m["components"] for m in discord_bot_messages(discord, asked["id"])), 30,
                     "the Discord plan card in the goal's thread", topology)
    [card] = [m for m in discord_bot_messages(discord, asked["id"]) if m["components"]]
    thread = card["channel_id"]
    approve = next(c for c in custom_ids(card) if c.endswith(":approve"))
    await discord.click("alice", card["id"], approve)

    def result() -> list[dict[str, Any]]:
        return [m for m in discord_bot_messages(discord, thread)
                if any("Done:" in str(e.get("title")) for e in m["embeds"])]

    await eventually(lambda: bool(result()), 60, "the Discord run's result in its thread", topology)
    edited = discord.messages[card["id"]]
    # progress: the card was edited as the steps ran; its steps show done
    assert edited["edited_timestamp"] is not None and "✅" in json.dumps(edited["embeds"], ensure_ascii=False)
    [run] = await rows(url, select(RunRow).join(GoalRow, col(GoalRow.id) == col(RunRow.goal_id))
                       .where(GoalRow.platform == "discord"))
    assert run.status == "succeeded" and pid_of(run.claimed_by) in {w.process.pid for w in workers}


async def digests_survive_the_leader(session: aiohttp.ClientSession, slack: FakeSlackApi, url: str,
                                     workers: list[Proc], schedulers: list[Proc],
                                     topology: Topology) -> None:
    said = await topology.cli("monitors", "add", "Overdue invoices", "local.list_invoices",
                              f"slack:{FINANCE}", "--cron", "second=*/3")
    assert "monitor 1 added" in said, said

    def digests() -> list[Call]:
        return [c for c in slack.of("chat.postMessage") if c.params.get("channel") == FINANCE]

    await eventually(lambda: len(digests()) >= 1, 60, "a first digest in #finance", topology)
    leading = await leader_pid(url)
    [leader] = [s for s in schedulers if s.process.pid == leading]
    [standby] = [s for s in schedulers if s is not leader]
    lag = (await scrape(session, leader.url))["deputy_scheduler_lag_seconds"]
    assert 0 < lag < 30, lag  # set by its firings: scheduled time → firing committed
    topology.stopped.add(leader.name)
    leader.process.send_signal(signal.SIGKILL)
    await leader.process.wait()
    killed_at = datetime.now(UTC)

    async def posted_after_kill() -> bool:
        fired = await rows(url, select(MonitorFiringRow).where(col(MonitorFiringRow.scheduled_at) > killed_at))
        return any(f.outcome == "posted" for f in fired)

    await eventually(posted_after_kill, 60, "a digest fired by the standby after the kill", topology)
    assert await leader_pid(url) == standby.process.pid
    assert (await scrape(session, standby.url))["deputy_scheduler_lag_seconds"] > 0
    # stop firing, let the workers finish what was queued, then count
    topology.stopped.add(standby.name)
    standby.process.send_signal(signal.SIGTERM)
    await standby.process.wait()

    async def settled() -> bool:
        fired = await rows(url, select(MonitorFiringRow))
        return all(f.outcome not in ("queued",) for f in fired)

    await eventually(settled, 60, "every queued firing run and reported", topology)
    fired = await rows(url, select(MonitorFiringRow))
    assert {f.outcome for f in fired} == {"posted"}
    assert len({f.scheduled_at for f in fired}) == len(fired)
    # each firing posted exactly one digest: none lost in the takeover, none doubled
    assert len(digests()) == len(fired), (len(digests()), [f.scheduled_at for f in fired])
    monitor_runs = await rows(url, select(RunRow).where(col(RunRow.id).in_([f.run_id for f in fired])))
    assert {pid_of(r.claimed_by) for r in monitor_runs} <= {w.process.pid for w in workers}
