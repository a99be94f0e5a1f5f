"""How a redo after a crash between a post and its record (bot/flow/goal_redo.py,
bot/flow/thread_answers.py) finds what the first attempt posted on Discord, which has no
message metadata as Slack does.

Two marks, each with its limit (docs/reliability.md):

- A **nonce** on the post (Create Message's ``nonce``, at most 25 characters, with
  ``enforce_nonce``): made from the thread and what the message is (a plan card's plan and
  version, or the stored thread message a question or "I can't" says), so the redo's post
  carries the same one, and Discord, when the first post is at most "a few minutes" old
  (its words; no number is documented), returns that message instead of creating another.
- The **card's footer** (``plan N · version V``, :func:`card_footer`), read back from the
  thread's latest :data:`MAX_READ` messages (Get Channel Messages, 100 a page): only a
  message Deputy's own bot user wrote counts, and a bot always reads its own messages' embeds
  (the Message Content intent hides only others'). This has no time limit, so a redo long
  after the nonce is forgotten still finds the card. A question or an "I can't" is plain
  text with nothing that names it, so it has only the nonce.
"""

from __future__ import annotations

import hashlib

import discord

NONCE_CHARS = 25  # Discord refuses a longer nonce (400, code 50035)
MAX_READ = 1000  # a goal's thread longer than this is not read to its start (10 requests)


def nonce(kind: str, thread: str, *ids: int) -> str:
    """A nonce of at most 25 characters naming ``kind`` (``card`` / ``answer``) of ``ids`` in
    ``thread``: the same on every attempt, different for anything else Deputy posts."""
    digest = hashlib.sha256(":".join((kind, thread, *map(str, ids))).encode()).hexdigest()
    return f"d{kind[0]}{digest}"[:NONCE_CHARS]


def card_footer(plan_id: int, version: int) -> str:
    """The footer of a plan card's embed (bot/adapters/discord/render.py): how a redo knows it."""
    return f"plan {plan_id} · version {version}"


async def find_card(client: discord.Client, thread: str, plan_id: int, version: int) -> str | None:
    """The id of the newest message among the thread's latest :data:`MAX_READ` that Deputy's
    bot user posted as the card of ``plan_id`` v``version``; None if there is none."""
    me = client.user
    if me is None:  # not logged in: cannot tell Deputy's messages from others' (the nonce still guards)
        return None
    wanted = card_footer(plan_id, version)
    async for message in client.get_partial_messageable(int(thread)).history(limit=MAX_READ):
        if message.author.id == me.id and any(e.footer.text == wanted for e in message.embeds):
            return str(message.id)
    return None
