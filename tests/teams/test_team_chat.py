"""The team's settings in chat (the shell: whoever runs it administers its one team,
shell:local): `setup` shows and changes them, bad input is refused with the reason and
changes nothing, and a monitor that names no channel posts to the team's digest channel."""

from __future__ import annotations

from bot.app import Deputy
from bot.store import monitors, teams
from tests.support.chat import Chat


async def test_setup_in_the_shell_and_the_digest_channel_monitors_use(chat: Chat, deputy: Deputy) -> None:
    shown = await chat.say("setup")
    assert "Deputy in shell:local (shell:local) is active." in shown
    assert "Digest channel: where each monitor was asked for" in shown and "Roles" not in shown
    assert "Digest channel: REPORTS" in await chat.say("setup digest REPORTS")
    assert "'#reports' is not a channel" in await chat.say("setup digest #reports")
    assert "'Mars/Base' is not a time zone" in await chat.say("admin timezone Mars/Base")
    async with deputy.database.session(team="shell:local") as session:
        row = await teams.get(session, "shell:local")
    assert row is not None and row.settings == {"digest_channel": "REPORTS"}

    await chat.say("each morning at 8 tell me what's overdue")
    await chat.say("every Monday at 9 post the overdue invoices to #finance")
    async with deputy.database.session(team="shell:local") as session:
        rows = await monitors.all_live(session)
    assert [r.channel_id for r in rows] == ["REPORTS", "finance"]  # a named channel still wins

    # "setup the room for Friday" is a goal, not the command
    assert "Deputy in shell:local" not in await chat.say("setup the room for Friday")
