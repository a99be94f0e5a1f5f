"""Routes each neutral chat event to its handler, and turns errors into chat messages.

User-facing errors become a Notice in the conversation; anything unexpected is logged with
its traceback and the user gets a short apology with a reference, never the traceback.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from bot.chat.events import (
    ButtonPressed,
    ChatEvent,
    CommandInvoked,
    CredentialsSubmitted,
    GoalPosted,
    ModifySubmitted,
    TeamEvent,
    ThreadReply,
)
from bot.chat.replies import Notice
from bot.errors import DatabaseUnavailable, DeputyError, LeaseLost
from bot.flow import (
    approvals,
    buttons,
    connections,
    goals,
    management_commands,
    secret_guard,
    team_admin,
    team_lifecycle,
)
from bot.store import audit

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

log = logging.getLogger(__name__)


async def dispatch(app: Deputy, event: ChatEvent, *, redeliverable: bool = False) -> None:
    """Handle one chat event; a failure is told to the person. ``redeliverable``: the caller
    delivers the event again after a failure (the planner's inbox lease), so a database that
    is unavailable for the moment is raised to it instead, and the event is finished on a
    later attempt rather than answered "try again" and dropped."""
    try:
        if secret_guard.holds_secret(event):
            await _refuse_secret(app, event)
            return
        admitted = await team_admin.admit(app, event)
        if admitted is None:
            return  # the team is disabled or archived; the person was told
        event = admitted
        match event:
            case GoalPosted():
                await goals.on_goal(app, event)
            case ThreadReply():
                await goals.on_thread_reply(app, event)
            case ButtonPressed():
                await buttons.on_button(app, event)
            case ModifySubmitted():
                await approvals.on_modify(app, event)
            case CommandInvoked():
                await management_commands.on_command(app, event)
            case CredentialsSubmitted():
                notice = await connections.on_credentials(app, event)
                await _tell(app, event, notice)
    except LeaseLost:
        raise  # another planner took the request over: this one says nothing (bot/store/inbox_fence.py)
    except DatabaseUnavailable as err:
        if redeliverable:
            raise
        await _tell(app, event, Notice(str(err), tone="error"))
    except DeputyError as err:
        await _tell(app, event, Notice(str(err), tone="error"))
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("unexpected error handling %s (ref %s)", type(event).__name__, ref)
        await _tell(app, event, Notice(
            f"Something went wrong on our side (ref {ref}); nothing was run. Please try again.",
            tone="error"))


async def dispatch_team(app: Deputy, event: TeamEvent) -> None:
    """Deputy added to or removed from a team (bot.flow.team_lifecycle)."""
    await team_lifecycle.on_team_event(app, event)


async def _refuse_secret(app: Deputy, event: ChatEvent) -> None:
    """Nothing of the event is kept: the audit says only that a secret was refused, and where."""
    async with app.database.session(team=event.actor.team_key) as session:
        await audit.append(session, "secret_refused", actor_key=event.actor.key,
                           data={"entry": secret_guard.entry_point(event),
                                 "channel": event.where.channel_id})
    await _tell(app, event, Notice(secret_guard.WARNING, tone="warning"))


async def _tell(app: Deputy, event: ChatEvent, notice: Notice) -> None:
    port = app.port(event.where.platform)
    try:
        await port.post_private(event.where, event.actor, notice)
    except DatabaseUnavailable:
        # the notice was shown; only its audit record could not be written
        log.warning("could not audit a notice to %s: the database is unavailable", event.actor.key)
