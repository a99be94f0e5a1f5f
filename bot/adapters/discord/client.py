"""The gateway client: Discord messages (mentions, replies in Deputy's threads) → neutral chat
events, and the ``/deputy`` command's registration. Interactions (the command, buttons, forms)
are answered by interactions.py, whose client this one extends.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands

from bot.adapters.handoff import DEFAULT_LIMIT
from bot.chat.events import (
    CommandInvoked,
    GoalPosted,
    TeamEvent,
    TeamJoined,
    TeamRemoved,
    ThreadReply,
)
from bot.flow.secret_guard import looks_like_secret

from . import connect
from .components import DeputyButton
from .interactions import HELP, Dispatch, InteractionClient
from .port import PLATFORM, DiscordPort, RecentInteractions
from .render import defang
from .settings import DiscordSettings
from .translate import where_of

__all__ = ["HELP", "DeputyClient", "Dispatch", "TeamDoor", "build_discord", "deputy_intents", "run_discord"]

# the core's door for guilds joined and left (bot.app.team_door); None: not reported
TeamDoor = Callable[[TeamEvent], Awaitable[None]]

_MENTION = re.compile(r"<@!?(\d+)>")


def deputy_intents() -> discord.Intents:
    intents = discord.Intents.default()
    intents.message_content = True  # privileged: enable it in the developer portal too
    return intents


class DeputyClient(InteractionClient):
    def __init__(
        self, settings: DiscordSettings, dispatch: Dispatch, interactions: RecentInteractions,
        teams: TeamDoor | None = None, max_pending: int = DEFAULT_LIMIT,
    ) -> None:
        super().__init__(
            settings, dispatch, interactions, max_pending=max_pending,
            intents=deputy_intents(),
            # nobody is pinged by what Deputy relays; a mention it writes itself names its user
            allowed_mentions=discord.AllowedMentions.none(),
        )
        connect.guard_gateway_log()
        self.teams = teams
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        # re-registered at every start so cards posted before a restart keep working
        self.add_dynamic_items(DeputyButton)

        @self.tree.command(name="deputy", description="Ask Deputy to plan and carry out a goal")
        @app_commands.describe(goal="What you want done, in your own words")
        @app_commands.guild_only()
        async def deputy_command(interaction: discord.Interaction, goal: str) -> None:
            await self.slash_goal(interaction, goal)

        if self.settings.discord_sync_commands:
            await self.tree.sync()

    # ---- guilds ---------------------------------------------------------------------

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Added to a guild: its team starts with the defaults (or is active again)."""
        await self._team_event(TeamJoined(PLATFORM, str(guild.id), guild.name))

    async def on_guild_available(self, guild: discord.Guild) -> None:
        """A guild Deputy is in, at start-up or after an outage: make sure its team exists."""
        await self._team_event(TeamJoined(PLATFORM, str(guild.id), guild.name, joined=False))

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """GUILD_DELETE of a guild that is not merely unavailable: Deputy was removed (or the
        guild deleted). discord.py reports an outage as on_guild_unavailable instead."""
        await self._team_event(TeamRemoved(PLATFORM, str(guild.id)))

    async def _team_event(self, event: TeamEvent) -> None:
        if self.teams is not None:
            await self.teams(event)

    # ---- messages -------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        if self.user is None or message.author.bot or message.guild is None:
            return
        text = self.without_my_mention(message.content)
        channel = message.channel
        if isinstance(channel, discord.Thread) and channel.owner_id == self.user.id:
            if text:
                event = ThreadReply(
                    actor=self.actor(message.author, message.guild.id),
                    where=where_of(channel),
                    text=text,
                    event_id=str(message.id),
                )
                await self.hand_over(event, message=message)
            return
        if self.user.id not in message.raw_mentions:
            return
        if not text:
            await message.reply(HELP, mention_author=False)
            return
        command = connect.command_of(text)
        if looks_like_secret(text):
            command = None  # echo nothing back: as a goal, the core refuses it privately
        if command is not None and command[0] == "connect":
            # a message can only be answered in the channel, and the form or sign-in link
            # must reach this person alone: only an interaction can answer privately
            await message.reply(defang(connect.USE_SLASH.format(command[1])), mention_author=False)
            return
        if command is not None:
            await self.hand_over(CommandInvoked(
                actor=self.actor(message.author, message.guild.id), where=where_of(channel),
                name=command[0], argument=command[1], event_id=str(message.id)), message=message)
            return
        goal = GoalPosted(
            actor=self.actor(message.author, message.guild.id),
            where=where_of(channel),
            text=text,
            event_id=str(message.id),
            message_id=None if isinstance(channel, discord.Thread) else str(message.id),
        )
        await self.hand_over(goal, message=message)

    def without_my_mention(self, content: str) -> str:
        my_id = str(self.user.id) if self.user else ""
        # only the leading/trailing space goes: line breaks in a goal can matter to the planner
        return _MENTION.sub(lambda m: "" if m[1] == my_id else m[0], content).strip()

def build_discord(
    settings: DiscordSettings, dispatch: Dispatch, teams: TeamDoor | None = None,
    max_pending: int = DEFAULT_LIMIT,
) -> tuple[DeputyClient, DiscordPort]:
    """The client to run and the port to attach to the core, sharing what they must;
    ``teams`` hears of guilds joined and left (bot.app.team_door); past ``max_pending``
    events waiting for the core, a request is answered "busy" and not taken."""
    interactions = RecentInteractions()
    client = DeputyClient(settings, dispatch, interactions, teams, max_pending)
    return client, DiscordPort(client, interactions, client.connect_forms)


async def run_discord(settings: DiscordSettings, dispatch: Dispatch, teams: TeamDoor | None = None) -> None:
    """Connect and serve until cancelled (``deputy discord``). The port must be attached
    to the core before events arrive, hence :func:`build_discord` for callers that need it."""
    client, _ = build_discord(settings, dispatch, teams)
    async with client:
        await client.start(settings.token.get_secret_value())
