"""Discord interactions → neutral chat events: ``/deputy``, button clicks, the Modify and
connect forms; and the hand-over of every event to the core.

Every interaction is acknowledged before the core is called (defer, modal, or a message),
so Discord's 3-second limit never depends on planning or execution. The core's work is
handed to a bounded :class:`~bot.adapters.handoff.Handoff` (16 events at once, the others
wait their turn in arrival order), as Slack's is: under a flood of goals, hundreds of plans
advancing together on the loop would hold every answer behind them (bench_discord_serve).
Past ``max_pending`` events waiting, a request is answered "busy" at once and not taken.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.adapters.handoff import DEFAULT_LIMIT, Handoff
from bot.chat.buttons import ButtonId, parse_button
from bot.chat.events import (
    ButtonPressed,
    ChatEvent,
    CommandInvoked,
    CredentialsSubmitted,
    GoalPosted,
    ModifySubmitted,
)
from bot.domain import Actor
from bot.errors import DeputyError
from bot.flow.secret_guard import looks_like_secret
from bot.metrics import REFUSED_BUSY

from . import connect
from .components import is_deputy_button, shows_button
from .endpoints import RoutedClient
from .modify import MODAL_PATTERN, editable_steps, edits_between, modify_modal, submitted_values
from .port import RecentInteractions
from .render import clip, defang, inert
from .settings import DiscordSettings
from .translate import actor_of, where_of

log = logging.getLogger(__name__)
Dispatch = Callable[[ChatEvent], Awaitable[None]]

HELP = (
    "Tell me what you want done: `@Deputy invoice every client for March`, or use `/deputy`. "
    "I answer in a thread with a plan; approve it with the buttons and I carry it out."
)
CLOSE_GRACE_SECONDS = 10.0  # at shutdown, for the events handed over to finish
UNKNOWN_BUTTON = "That button is not one of Deputy's current buttons; the card may be outdated."
BUSY = "Deputy is busy, nothing was started; try again in a minute."


class InteractionClient(RoutedClient):
    """Answers interactions and hands events to the core (``dispatch``)."""

    def __init__(self, settings: DiscordSettings, dispatch: Dispatch,
                 interactions: RecentInteractions, *, max_pending: int = DEFAULT_LIMIT,
                 **options: Any) -> None:
        super().__init__(settings, **options)
        self.settings = settings
        self.dispatch_event = dispatch
        self.interactions = interactions
        self.connect_forms = connect.ConnectForms()
        # the core's work, a few events at a time; past max_pending waiting, "busy"
        self.handoff = Handoff("discord", max_pending)

    async def slash_goal(self, interaction: discord.Interaction, goal: str) -> None:
        goal = goal.strip()
        if not goal or interaction.guild_id is None or interaction.channel is None:
            await interaction.response.send_message(HELP, ephemeral=True)
            return
        if await self.refused_busy(interaction):
            return
        user = interaction.user
        command = connect.command_of(goal)
        if command is not None or looks_like_secret(goal):
            # connect, status …, or a pasted secret: answered to this person only, never echoed
            await interaction.response.defer(ephemeral=True, thinking=True)
            self.remember(interaction)
            actor, where = self.actor(user, interaction.guild_id), where_of(interaction.channel)
            await self.hand_over(
                GoalPosted(actor=actor, where=where, text=goal, event_id=str(interaction.id))
                if command is None else
                CommandInvoked(actor=actor, where=where, name=command[0], argument=command[1],
                               event_id=str(interaction.id)),
                interaction=interaction)
            return
        # the acknowledgement is a real message, so the goal's thread can hang under it
        # a slash option holds up to 6,000 characters, a message 2,000: the echo is clipped,
        # the goal handed to the core is whole
        answer = await interaction.response.send_message(
            clip(f"**{inert(user.display_name)}** asked: {inert(goal)}", 2000)
        )
        self.remember(interaction)
        channel = interaction.channel
        under = None if isinstance(channel, discord.Thread) else answer.message_id
        event = GoalPosted(
            actor=self.actor(user, interaction.guild_id),
            where=where_of(channel),
            text=goal,
            event_id=str(interaction.id),
            message_id=None if under is None else str(under),
        )
        await self.hand_over(event, interaction=interaction)

    async def button_clicked(self, interaction: discord.Interaction, button: ButtonId) -> None:
        if interaction.guild_id is None or interaction.channel is None:
            await interaction.response.send_message(UNKNOWN_BUTTON, ephemeral=True)
            return
        if button.action == "modify":
            steps = editable_steps(interaction.message.embeds if interaction.message else [])
            await interaction.response.send_modal(
                modify_modal(button.plan_id, button.version, steps)
            )
            self.remember(interaction)
            return
        if await self.refused_busy(interaction):
            return
        await interaction.response.defer()  # type 6: deferred update, the card stays as it is
        self.remember(interaction)
        event = ButtonPressed(
            actor=self.actor(interaction.user, interaction.guild_id),
            where=where_of(interaction.channel),
            button_id=str(button),
            event_id=str(interaction.id),
            message_id=str(interaction.message.id) if interaction.message else None,
        )
        await self.hand_over(event, interaction=interaction)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if interaction.type is discord.InteractionType.component and (
            opened := connect.BUTTON_PATTERN.fullmatch(custom_id)
        ):
            await connect.open_modal(interaction, self.connect_forms, opened)
        elif interaction.type is discord.InteractionType.component and not is_deputy_button(
            custom_id
        ):
            await interaction.response.send_message(UNKNOWN_BUTTON, ephemeral=True)
        elif interaction.type is discord.InteractionType.component and not shows_button(
            interaction.message, custom_id
        ):
            # a click from a stale render of a card redrawn without that button (superseded,
            # decided): discord.py drops it, as it finds no such item on the message, so the
            # person would only see "This interaction failed"; the core says what happened
            await self.button_clicked(interaction, parse_button(custom_id))
        elif interaction.type is discord.InteractionType.modal_submit and (
            form := connect.MODAL_PATTERN.fullmatch(custom_id)
        ):
            await self.connect_submitted(interaction, form, data)
        elif interaction.type is discord.InteractionType.modal_submit:
            match = MODAL_PATTERN.fullmatch(custom_id)
            if match is not None:
                await self.modify_submitted(
                    interaction, int(match["plan"]), int(match["version"]), data
                )

    async def modify_submitted(
        self, interaction: discord.Interaction, plan_id: int, version: int, data: dict[str, Any]
    ) -> None:
        before = editable_steps(interaction.message.embeds if interaction.message else [])
        edits = edits_between(before, submitted_values(data.get("components", [])))
        if not edits or interaction.guild_id is None or interaction.channel is None:
            await interaction.response.send_message("Nothing changed.", ephemeral=True)
            return
        if await self.refused_busy(interaction):
            return
        await interaction.response.defer()
        self.remember(interaction)
        event = ModifySubmitted(
            actor=self.actor(interaction.user, interaction.guild_id),
            where=where_of(interaction.channel),
            plan_id=plan_id,
            version=version,
            edits=edits,
            event_id=str(interaction.id),
        )
        await self.hand_over(event, interaction=interaction)

    async def connect_submitted(
        self, interaction: discord.Interaction, form: re.Match[str], data: dict[str, Any]
    ) -> None:
        if await self.refused_busy(interaction):  # the form stays open: sent again, it is taken
            return
        done = await connect.page_submitted(
            interaction, self.connect_forms, form, data.get("components", [])
        )
        if done is None or interaction.guild_id is None or interaction.channel is None:
            return
        self.remember(interaction)
        event = CredentialsSubmitted(
            actor=self.actor(interaction.user, interaction.guild_id),
            where=where_of(interaction.channel),
            integration=done[0],
            fields=done[1],
            event_id=str(interaction.id),
        )
        await self.hand_over(event, interaction=interaction)

    async def hand_over(
        self,
        event: ChatEvent,
        *,
        interaction: discord.Interaction | None = None,
        message: discord.Message | None = None,
    ) -> None:
        """Hand the event to the core, in its turn (:attr:`handoff`); returns at once. The
        core's user-facing errors become a message to that person only. A message arriving
        while the hand-off is full is answered "busy" and not taken (an interaction is
        refused before its acknowledgement, :meth:`refused_busy`)."""
        if message is not None and interaction is None and self.handoff.full:
            self._count_refused(f"message {message.id}")
            await message.reply(BUSY, mention_author=False)
            return
        self.handoff.spawn(self._dispatch(event, interaction, message), type(event).__name__)

    async def refused_busy(self, interaction: discord.Interaction) -> bool:
        """Past ``max_pending`` events waiting for the core: answer "busy" to this person at
        once (an ephemeral message) and take nothing, rather than queue without end."""
        if not self.handoff.full:
            return False
        self._count_refused(f"interaction {interaction.id}")
        await interaction.response.send_message(BUSY, ephemeral=True)
        return True

    def _count_refused(self, what: str) -> None:
        REFUSED_BUSY.labels(platform="discord").inc()
        log.warning("Discord %s refused, busy: %d events already waiting", what, self.handoff.pending)

    async def _dispatch(self, event: ChatEvent, interaction: discord.Interaction | None,
                        message: discord.Message | None) -> None:
        try:
            await self.dispatch_event(event)
        except DeputyError as err:
            if interaction is not None:
                await interaction.followup.send(defang(str(err)), ephemeral=True)
            elif message is not None:
                await message.reply(defang(str(err)), mention_author=False)
            else:
                raise

    async def close(self) -> None:
        """Finish the events already handed over (within a grace period), then disconnect:
        their cards and replies still need the connection."""
        await self.handoff.aclose(CLOSE_GRACE_SECONDS)
        await super().close()

    # ---- translation ----------------------------------------------------------------

    def actor(self, user: discord.User | discord.Member, guild_id: int) -> Actor:
        return actor_of(user, guild_id, self.settings.discord_role_groups)

    def remember(self, interaction: discord.Interaction) -> None:
        channel = interaction.channel
        ids = [str(interaction.channel_id)]
        if isinstance(channel, discord.Thread) and channel.parent_id is not None:
            ids.append(str(channel.parent_id))
        self.interactions.remember(str(interaction.user.id), tuple(ids), interaction)
