"""The full core of tests/core (local integration, default policy, fixed clock), plus the
helpers these lifecycle tests share."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select

from bot.adapters.shell.session import local_actor
from bot.app import Deputy
from bot.chat.events import ButtonPressed
from bot.registry import CallContext
from bot.store.database import Database
from integrations.local.tables import LocalOutbox
from tests.core.conftest import build, deputy, fake_clock, settings  # noqa: F401  (fixtures)
from tests.support.chat import Chat


async def call_local(app: Deputy, action: str, **args: Any) -> Any:
    """What someone does outside Deputy (pays an invoice...), straight on the local integration."""
    client, fn = app.registry.function(f"local.{action}")
    ctx = CallContext(idempotency_key=f"outside-{action}-{sorted(args.items())}",
                      actor=local_actor("Outsider"), timezone="Europe/London")
    return await fn(client, ctx, **args)


async def reminders_sent(database: Database) -> int:
    async with database.session(all_teams=True) as session:
        return int((await session.exec(select(func.count()).select_from(LocalOutbox)
                                       .where(LocalOutbox.kind == "reminder"))).one())


def click(chat: Chat, action: str) -> ButtonPressed:
    """The button on the latest card, pressed by the chat's user, without running the worker."""
    card = chat.card
    return ButtonPressed(actor=chat.user, where=chat.port.current_thread,  # type: ignore[arg-type]
                         button_id=f"deputy:{card.plan_id}:{card.version}:{action}")
