"""slack_sdk's installation and state stores on Deputy's database, for "Add to Slack".

An installation's ids, names, scopes and token expiry go in ``slack_installations``
(bot/store/slack_installs.py); its bot, user and refresh tokens are sealed in the credential
vault (AES-GCM under the vault's master key, rewrapped by ``deputy vault rotate`` like every
credential), so the database never holds a token in clear. Install links (``state``) are
kept as hashes and work once.

slack-bolt may call these stores from ``deputy serve``'s front-door thread, which has its
own event loop; the database belongs to the core's loop, so every call is run there.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any, TypeVar

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.store import slack_installs as rows
from bot.store.database import Database
from bot.vault import CredentialStore

log = logging.getLogger(__name__)
T = TypeVar("T")

VAULT_INTEGRATION = "slack"
SECRET_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token", "incoming_webhook_url")
BOT_SECRETS = ("bot_token", "bot_refresh_token")


def owner_of(key: str) -> str:
    """The vault owner an installation's tokens are sealed under: ``slack:<team>:installation``
    (the org's id for an org install), in the team's own name space, so the team's credentials
    are the team's (Slack user ids never read "installation")."""
    enterprise, _, team = key.partition(":")
    return f"slack:{team or enterprise}:installation"


def team_key_of(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> str:
    return f"slack:{enterprise_id if is_enterprise_install or not team_id else team_id}"


class OnLoop:
    """Runs a coroutine on the loop it was built on, whichever loop awaits it."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        here = asyncio.get_running_loop()
        if self._loop is None or self._loop is here or self._loop.is_closed():
            return await work
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._loop))


class DeputyInstallationStore(AsyncInstallationStore):
    def __init__(self, database: Database, vault: CredentialStore, core: OnLoop) -> None:
        self._db = database
        self._vault = vault
        self._core = core

    @property
    def logger(self) -> logging.Logger:
        return log

    # -- writes ----------------------------------------------------------------------------

    async def async_save(self, installation: Installation) -> None:
        await self._core.run(self._save(installation))

    async def async_save_bot(self, bot: Bot) -> None:
        found = await self.async_find_installation(enterprise_id=bot.enterprise_id, team_id=bot.team_id,
                                                   is_enterprise_install=bot.is_enterprise_install)
        if found is None:
            return
        found.bot_token, found.bot_refresh_token = bot.bot_token, bot.bot_refresh_token
        found.bot_token_expires_at = bot.bot_token_expires_at
        await self.async_save(found)

    async def _save(self, installation: Installation) -> None:
        enterprise, team = installation.enterprise_id, installation.team_id
        org = bool(installation.is_enterprise_install)
        key = rows.install_key(enterprise, team, org)
        fields = {name: str(getattr(installation, name)) for name in SECRET_FIELDS if getattr(installation, name)}
        details = {k: v for k, v in vars(installation).items() if k not in SECRET_FIELDS and k != "custom_values"}
        # the tokens first: a row never points at tokens that are not there
        await self._vault.put(owner_of(key), VAULT_INTEGRATION, fields)
        async with self._db.session(all_teams=True) as session:
            await rows.save(session, key, team_key=team_key_of(enterprise, team, org), enterprise_id=enterprise,
                            team_id=None if org else team, is_enterprise_install=org, details=details)
        log.info("slack: installation %s saved (bot token %s)", key,
                 "rotating" if installation.bot_refresh_token else "long-lived")

    # -- reads -----------------------------------------------------------------------------

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> Bot | None:
        found = await self.async_find_installation(enterprise_id=enterprise_id, team_id=team_id,
                                                   is_enterprise_install=is_enterprise_install)
        return found.to_bot() if found is not None and found.bot_token else None

    async def async_find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                      user_id: str | None = None,
                                      is_enterprise_install: bool | None = False) -> Installation | None:
        found = await self._core.run(self._find(enterprise_id, team_id, bool(is_enterprise_install)))
        if found is None or (user_id is not None and found.user_id != user_id):
            return None
        return found

    async def _find(self, enterprise_id: str | None, team_id: str | None, org: bool) -> Installation | None:
        # a workspace's own install first; then its org's install (Enterprise Grid)
        keys = [rows.install_key(enterprise_id, team_id, org)]
        if enterprise_id and not org:
            keys.append(rows.install_key(enterprise_id, None, True))
        for key in keys:
            async with self._db.session(all_teams=True) as session:
                row = await rows.get(session, key)
            if row is None:
                continue
            sealed = await self._vault.get(owner_of(key), VAULT_INTEGRATION)
            values: dict[str, Any] = {**row.details, **dict(sealed or {})}
            return Installation(**values)
        return None

    # -- deletes ---------------------------------------------------------------------------

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._core.run(self._forget(enterprise_id, team_id, BOT_SECRETS))

    async def async_delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                        user_id: str | None = None) -> None:
        await self._core.run(self._forget(enterprise_id, team_id, ("user_token", "user_refresh_token")))

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._core.run(self._forget(enterprise_id, team_id, None))

    async def _forget(self, enterprise_id: str | None, team_id: str | None,
                      fields: tuple[str, ...] | None) -> list[str]:
        """Delete these tokens (None: the whole installation) of the workspace's or org's
        install; the install keys touched."""
        touched = []
        # no team: the org's install (Enterprise Grid); else the workspace's own
        for key in [rows.install_key(enterprise_id, team_id, not team_id)]:
            sealed = await self._vault.get(owner_of(key), VAULT_INTEGRATION)
            if sealed is None:
                continue
            touched.append(key)
            kept = {} if fields is None else {k: v for k, v in sealed.items() if k not in fields}
            if fields is None or not kept.get("bot_token"):
                await self._vault.delete(owner_of(key), VAULT_INTEGRATION)
                async with self._db.session(all_teams=True) as session:
                    await rows.remove(session, key)
            else:
                await self._vault.put(owner_of(key), VAULT_INTEGRATION, kept)
            log.info("slack: %s of installation %s deleted", "tokens" if fields else "everything", key)
        return touched


class DeputyStateStore(AsyncOAuthStateStore):
    """Install links: a random state, stored hashed, valid ``expiration_seconds``, used once."""

    def __init__(self, database: Database, core: OnLoop, expiration_seconds: int = 600) -> None:
        self._db = database
        self._core = core
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return log

    def _now(self) -> datetime:
        return self._db.clock()

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        await self._core.run(self._issue(state))
        return state

    async def _issue(self, state: str) -> None:
        now = self._now()
        async with self._db.session(all_teams=True) as session:
            await rows.add_state(session, state, now + timedelta(seconds=self.expiration_seconds), now)

    async def async_consume(self, state: str) -> bool:
        return await self._core.run(self._consume(state))

    async def _consume(self, state: str) -> bool:
        async with self._db.session(all_teams=True) as session:
            return await rows.take_state(session, state, self._now())
