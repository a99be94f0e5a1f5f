"""Per-user credentials, encrypted at rest: the only way the rest of Deputy touches them.

``get`` decrypts for one call and returns the fields; nothing here logs a field value or
puts one in an exception, and the returned mapping's repr shows field names only.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import NamedTuple

from bot.domain import team_of_actor_key
from bot.errors import SettingsError
from bot.store import credentials
from bot.store.credentials import CredentialRow
from bot.store.database import Conflict, Database
from bot.vault import startup
from bot.vault.audit_key import derive_for
from bot.vault.crypto import SealBroken
from bot.vault.envelope import (
    SecretFields,
    encode_fields,
    new_credential_id,
    open_record,
    seal_record,
)
from bot.vault.errors import CredentialUnreadable
from bot.vault.keyring import Keyring
from bot.vault.keys import MasterKey

log = logging.getLogger(__name__)


class CredentialInfo(NamedTuple):
    """What may be shown about a credential: never the secret."""

    integration: str
    created_at: datetime
    updated_at: datetime
    key_id: str


class CredentialStore:
    def __init__(self, database: Database, keyring: Keyring) -> None:
        self._db = database
        self._keyring = keyring
        self._registered: set[str] = set()

    def __repr__(self) -> str:
        return f"CredentialStore({self._keyring!r})"

    def derived_key(self, purpose: str) -> bytes:
        """A key for ``purpose`` (e.g. the web console's session cookies), derived from the
        active master key with HKDF: never the master key itself, and different per purpose."""
        return derive_for(self._keyring.active.material, purpose)

    async def put(self, owner_key: str, integration: str, fields: dict[str, str]) -> str:
        """Encrypt and store ``fields``, replacing the owner's credential for ``integration``.

        Returns the credential id (kept when replacing)."""
        plaintext = encode_fields(fields)
        await self._keyring.refresh()  # a rotation in another process may have a new key
        master = self._keyring.active
        await self._ensure_registered(master)
        for attempt in (1, 2):
            try:
                return await self._write(owner_key, integration, plaintext, master)
            except Conflict:
                # two first-time puts raced on the unique (owner, integration): the second
                # one now finds the row and replaces it
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def get(self, owner_key: str, integration: str) -> SecretFields | None:
        """The decrypted fields, or None when the owner has not connected ``integration``."""
        row = await self._row(owner_key, integration)
        if row is None:
            return None
        master = await self._master_for(row.key_id)
        try:
            return open_record(
                master, row.id, row.owner_key, row.integration, row.wrapped_key, row.payload
            )
        except SealBroken:
            log.warning(
                "vault: credential %s (%s of %s) failed authentication",
                row.id, integration, owner_key,
            )
            raise CredentialUnreadable(owner_key, integration) from None

    async def delete(self, owner_key: str, integration: str) -> bool:
        """Forget the credential. True when there was one."""
        async with self._db.session(team=team_of_actor_key(owner_key)) as session:
            if not await credentials.delete_credential(session, owner_key, integration):
                return False
        log.info("vault: deleted the %s credential of %s", integration, owner_key)
        return True

    async def list_for(self, owner_key: str) -> list[CredentialInfo]:
        async with self._db.session(team=team_of_actor_key(owner_key)) as session:
            rows = await credentials.credentials_of(session, owner_key)
        return [CredentialInfo(*row) for row in rows]

    async def needed_key_ids(self) -> dict[str, int]:
        """Master key id → how many credentials are wrapped with it."""
        return await startup.needed_key_ids(self._db)

    async def _write(
        self, owner_key: str, integration: str, plaintext: bytes, master: MasterKey
    ) -> str:
        async with self._db.session(team=team_of_actor_key(owner_key)) as session:
            row = await credentials.credential_of(session, owner_key, integration)
            credential_id = row.id if row is not None else new_credential_id()
            sealed = seal_record(master, credential_id, owner_key, integration, plaintext)
            await credentials.save_credential(
                session, row, credential_id, owner_key, integration, key_id=sealed.key_id,
                wrapped_key=sealed.wrapped_key, payload=sealed.payload)
        log.info("vault: stored the %s credential of %s (key %s)", integration, owner_key, master.key_id)
        return credential_id

    async def _row(self, owner_key: str, integration: str) -> CredentialRow | None:
        async with self._db.session(team=team_of_actor_key(owner_key)) as session:
            return await credentials.credential_of(session, owner_key, integration)

    async def _master_for(self, key_id: str) -> MasterKey:
        master = self._keyring.get(key_id)
        if master is None and await self._keyring.refresh():
            master = self._keyring.get(key_id)
        if master is None:
            raise SettingsError(
                f"master key {key_id!r} is needed by a stored credential but is not "
                f"configured in {self._keyring.source}"
            )
        return master

    async def _ensure_registered(self, master: MasterKey) -> None:
        # the key-check row lets the next start-up recognise a wrong key; once per key id
        if master.key_id not in self._registered:
            await startup.register_key(self._db, self._keyring, master)
            self._registered.add(master.key_id)
