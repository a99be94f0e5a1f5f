"""DiscordPort: the core's ChatPort, spoken through the discord.py client."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import discord

from bot.chat.port import MessageRef
from bot.chat.replies import ConnectForm, Notice, PlanCard, Reply
from bot.domain import Actor, Where
from bot.errors import UserError

from .connect import USE_SLASH, ConnectForms, send_form
from .marks import find_card, nonce
from .render import clip, render

log = logging.getLogger(__name__)
PLATFORM = "discord"
# what a bot may attach to one message in a guild without boosts
MAX_FILES = 10
MAX_FILE_BYTES = 10 * 1024 * 1024
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440
# Discord keeps an interaction token usable for 15 minutes; stop a little earlier
INTERACTION_TTL_SECONDS = 14 * 60


@dataclass
class RecentInteractions:
    """The last interaction of each person per channel, so a private reply can be an
    ephemeral followup instead of a public mention."""

    ttl: float = INTERACTION_TTL_SECONDS
    _seen: dict[tuple[str, str], tuple[float, discord.Interaction]] = field(default_factory=dict)

    def remember(
        self, user_id: str, channel_ids: tuple[str, ...], interaction: discord.Interaction
    ) -> None:
        now = time.monotonic()
        self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.ttl}
        for channel_id in channel_ids:
            self._seen[(user_id, channel_id)] = (now, interaction)

    def find(self, user_id: str, where: Where) -> discord.Interaction | None:
        now = time.monotonic()
        for channel_id in (where.thread_id, where.channel_id):
            if channel_id is None:
                continue
            seen = self._seen.get((user_id, channel_id))
            if seen is not None and now - seen[0] < self.ttl:
                return seen[1]
        return None


def attachable(paths: Sequence[str]) -> list[str]:
    """The files Discord will take on one message; the others are logged and left (the
    message already names each file's path)."""
    kept: list[str] = []
    for path in paths:
        size = Path(path).stat().st_size if Path(path).is_file() else -1
        if 0 <= size <= MAX_FILE_BYTES and len(kept) < MAX_FILES:
            kept.append(path)
        else:
            log.warning("not attaching %s to Discord (%s)", Path(path).name,
                        "missing" if size < 0 else "too big or too many")
    return kept


class DiscordPort:
    platform = PLATFORM

    def __init__(self, client: discord.Client, interactions: RecentInteractions,
                 connect_forms: ConnectForms | None = None) -> None:
        self.client = client
        self.interactions = interactions
        self.connect_forms = connect_forms or ConnectForms()

    async def open_thread(self, where: Where, title: str, message_id: str | None) -> Where:
        if where.thread_id is not None:
            return where
        channel = await self._guild_channel(where.channel_id)
        name = clip(" ".join(title.split()) or "Deputy", 100)
        if message_id is not None:
            thread = await channel.get_partial_message(int(message_id)).create_thread(
                name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
        else:
            thread = await channel.create_thread(
                name=name,
                type=discord.ChannelType.public_thread,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
        return Where(platform=PLATFORM, channel_id=where.channel_id, thread_id=str(thread.id))

    async def post(self, where: Where, reply: Reply) -> MessageRef:
        # a plan's card carries a nonce a redo's post repeats (marks.py); a monitor's card
        # (plan 0) names no plan
        mark = None
        if isinstance(reply, PlanCard) and reply.plan_id > 0 and reply.monitor_id is None:
            mark = nonce("card", where.thread_id or where.channel_id, reply.plan_id, reply.version)
        return await self._post(where, reply, mark)

    async def post_answer(self, where: Where, reply: Reply, said: int) -> MessageRef:
        """A question or an "I can't" (stored thread message ``said``): its nonce makes the
        redo's post of it, within Discord's few minutes, return this message (marks.py)."""
        return await self._post(where, reply, nonce("answer", where.thread_id or where.channel_id, said))

    async def find_card(self, where: Where, plan_id: int, version: int) -> MessageRef | None:
        """The card of ``plan_id`` v``version`` Deputy posted in the thread ``where``, found by
        its footer among the thread's latest messages (marks.find_card); None if none."""
        if where.thread_id is None:
            return None
        found = await find_card(self.client, where.thread_id, plan_id, version)
        return None if found is None else MessageRef(
            platform=PLATFORM, channel_id=where.channel_id, message_id=found, thread_id=where.thread_id)

    async def find_answer(self, where: Where, said: int) -> MessageRef | None:
        """Always None: a question is plain text with nothing that names it. The redo posts it
        again with the first post's nonce, and Discord returns the first message if it is at
        most a few minutes old (:meth:`post_answer`)."""
        return None

    async def _post(self, where: Where, reply: Reply, mark: str | None) -> MessageRef:
        target = where.thread_id or where.channel_id
        kwargs = render(reply).send_kwargs()
        files = attachable(getattr(reply, "files", ()))  # a card's or result's screenshots
        if files:
            kwargs["files"] = [discord.File(path, filename=Path(path).name) for path in files]
        if mark is not None:  # discord.py sends enforce_nonce with it
            kwargs["nonce"] = mark
        message = await self.client.get_partial_messageable(int(target)).send(**kwargs)
        return MessageRef(
            platform=PLATFORM,
            channel_id=where.channel_id,
            message_id=str(message.id),
            thread_id=where.thread_id,
        )

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        target = ref.thread_id or ref.channel_id
        message = self.client.get_partial_messageable(int(target)).get_partial_message(
            int(ref.message_id)
        )
        await message.edit(**render(reply).edit_kwargs())

    async def post_private(self, where: Where, actor: Actor, reply: Reply) -> None:
        if isinstance(reply, ConnectForm):
            interaction = self.interactions.find(actor.user_id, where)
            if await send_form(interaction, self.connect_forms, actor.user_id, reply):
                return
            # a form must never go to the channel: only an interaction can answer privately
            reply = Notice(USE_SLASH.format(reply.integration), tone="warning")
        parts = render(reply)
        interaction = self.interactions.find(actor.user_id, where)
        if interaction is not None:
            await interaction.followup.send(ephemeral=True, **parts.send_kwargs())
            return
        # no interaction to answer privately: address the person in the conversation
        mention = f"<@{actor.user_id}>"
        kwargs = parts.send_kwargs()
        kwargs["content"] = clip(f"{mention} {parts.content or ''}".strip(), 2000)
        target = where.thread_id or where.channel_id
        await self.client.get_partial_messageable(int(target)).send(
            allowed_mentions=discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(int(actor.user_id))]),
            **kwargs,
        )

    async def _guild_channel(self, channel_id: str) -> discord.TextChannel:
        channel = self.client.get_channel(int(channel_id))
        if channel is None:
            channel = await self.client.fetch_channel(int(channel_id))
        if not isinstance(channel, discord.TextChannel):
            raise UserError("Deputy can only start threads in text channels.")
        return channel
