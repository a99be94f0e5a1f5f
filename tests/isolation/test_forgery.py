"""From each team, everything the other two own is out of reach: its plan cards clicked from
the wrong workspace, buttons carrying its plan, monitor and memory ids on a message of this
team (Slack → Slack, Slack → Discord, Discord → Slack), and the commands that name its ids (`cancel`, `forget`,
`monitor approve|reject|pause|resume|run|delete|schedule`). Each answer is refused, and every
row of every team — the attacker's own included, apart from its audit chain that records what
was refused — is the same afterwards. Then the same click from the owner's team works."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.chat.buttons import memory_button, monitor_button
from bot.execution.worker import Worker
from bot.store import team_data
from integrations.local.tables import LocalInvoice
from tests.isolation.conftest import Deployment
from tests.isolation.teams import SlackTeam, Team, rows_of, run_finished

# the attacker's own rows that may change when it is refused: its audit chain says so; and
# the channels its workspace was heard in (a click Slack signed for the attacker's workspace
# from the victim's channel adds that channel to the attacker's, never to the victim's)
REFUSALS_LOGGED = {"audit_log", "slack_channels"}
SUCCESS = ("is cancelled", "Forgot", "forgotten", "is paused", "is deleted", "is resumed", "is approved",
           "Queued", "will run", "schedule is now")


async def rows_by_team(deployment: Deployment, attacker: Team | None = None) -> dict[str, list[str]]:
    """Every row of each team (the generic export: every table with a team), as text."""
    found: dict[str, list[str]] = {}
    for team in deployment.teams:
        async with deployment.app.database.session(team=team.key) as session:
            lines = [line async for line in team_data.export_lines(session, team.key)]
        if team is attacker:
            lines = [line for line in lines if json.loads(line)["table"] not in REFUSALS_LOGGED]
        found[team.key] = lines
    return found


async def settle(deployment: Deployment) -> None:
    await deployment.acme.slack.settle()
    assert await Worker(deployment.app, "check").drain() == 0  # nothing was queued


def commands_against(victim: Team) -> list[str]:
    work = victim.work
    return [f"cancel {work.waiting_goal}", f"cancel {work.done_goal}", f"forget {work.memory}",
            *(f"monitor {verb} {work.monitor}" for verb in ("approve", "reject", "pause", "resume", "run", "delete")),
            f"monitor schedule {work.monitor} every Tuesday at 10"]


@pytest.mark.parametrize("attacker_name", ["acme", "globex", "guild"])
async def test_another_teams_ids_change_nothing(working: Deployment, attacker_name: str) -> None:
    attacker: Team = getattr(working, attacker_name)
    before = await rows_by_team(working, attacker)
    for victim in working.others(attacker):
        for command in commands_against(victim):
            answer = await attacker.ask(command)
            assert not any(word in answer for word in SUCCESS), (attacker.key, command, answer)
        if not isinstance(attacker, SlackTeam):  # the guild's own card, carrying the victim's ids
            for button in (victim.button(victim.work.waiting_card, "approve"),
                           str(memory_button(victim.work.memory, "forget"))):
                await attacker.click(attacker.forged_card(button), "approve")
        else:
            for action in ("approve", "reject", "modify"):
                if isinstance(victim, SlackTeam):  # the victim's own message, clicked from the attacker's workspace
                    await victim.click(victim.work.waiting_card, action, forged_from=attacker)
                # a message of the attacker's workspace whose button names the victim's plan
                forged = attacker.forged_card(victim.button(victim.work.waiting_card, action))
                await attacker.click(forged, action)
            for other in (memory_button(victim.work.memory, "forget"), monitor_button(victim.work.monitor, "reject")):
                await attacker.click(attacker.forged_card(str(other)), other.action)
    await settle(working)
    await asyncio.sleep(0.5)  # a Discord answer still in flight would show here
    assert await rows_by_team(working, attacker) == before


async def test_the_owners_own_click_still_works(working: Deployment) -> None:
    """The refusals above are about the team, not a broken path: from its own team the
    waiting invoice plan is approved and runs, and only that team gets a new invoice."""
    counts = {t.key: len(await rows_of(t.app, t.key, LocalInvoice)) for t in working.teams}
    for team in working.teams:
        await team.click(team.work.waiting_card, "approve")
        run = await run_finished(team.app, team.key, team.work.waiting_goal)
        assert run.status == "succeeded", (team.key, run)
        counts[team.key] += 1
        assert {t.key: len(await rows_of(t.app, t.key, LocalInvoice)) for t in working.teams} == counts


async def test_a_reply_from_another_workspace_in_a_plans_thread_changes_nothing(working: Deployment) -> None:
    """Slack Connect: Globex's member writes in the thread of Acme's waiting plan (the channel
    is shared, the event comes from Globex). The core hears it, says it is another team's
    goal, and nothing of any team changes."""
    acme, globex, slack = working.acme, working.globex, working.acme.slack
    slack.api.share(acme.channel, globex.team_id)
    before = await rows_by_team(working, globex)
    since = len(slack.api.calls)
    reply = {"type": "message", "user": globex.user, "text": "make it for Initech instead", "ts": "1760000500.000100",
             "channel": acme.channel, "thread_ts": acme.work.waiting_card.thread_ts, "event_ts": "1760000500.000100",
             "channel_type": "channel", "team": globex.team_id}
    assert await slack.event(globex.team_id, reply, "Ev0ISOTHREAD") == 200
    await settle(working)
    answers = [str(c.params.get("text")) for c in slack.api.calls[since:]
               if c.method == "chat.postEphemeral" and c.answer and c.answer["ok"]]
    assert answers and "belongs to another team" in answers[0], answers
    assert await rows_by_team(working, globex) == before
