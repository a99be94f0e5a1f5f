"""Operator actions on master keys, for `deputy keys list` and `deputy keys retire ID`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.errors import UserError
from bot.store import audit, credentials
from bot.store.database import Database
from bot.vault.errors import KeyInUse
from bot.vault.keyring import Keyring
from bot.vault.startup import needed_key_ids

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyStatus:
    key_id: str
    active: bool
    configured: bool  # this process holds the key
    recorded: bool  # the database has its key-check value
    credentials: int  # records wrapped with it


async def list_keys(database: Database, keyring: Keyring) -> list[KeyStatus]:
    """Every key id known to the keyring or the database, active first."""
    await keyring.refresh()
    needed = await needed_key_ids(database)
    async with database.session(all_teams=True) as session:
        recorded = set(await credentials.key_checks(session))
    order = keyring.key_ids + sorted((recorded | set(needed)) - set(keyring.key_ids))
    return [
        KeyStatus(
            key_id=key_id,
            active=key_id == keyring.active.key_id,
            configured=keyring.get(key_id) is not None,
            recorded=key_id in recorded,
            credentials=needed.get(key_id, 0),
        )
        for key_id in order
    ]


async def retire(database: Database, keyring: Keyring, key_id: str) -> str:
    """Forget a master key no record uses any more. Returns what was done, for the operator.

    Refuses (:class:`KeyInUse`, with the count) while any credential is wrapped with it.
    """
    await keyring.refresh()
    if key_id == keyring.active.key_id:
        raise UserError(f"master key {key_id!r} is the active key; rotate to a new key first")
    in_use = (await needed_key_ids(database)).get(key_id, 0)
    if in_use:
        raise KeyInUse(key_id, in_use)
    signed = await audit_records_signed_with(database, key_id)
    if signed:
        raise UserError(
            f"master key {key_id!r} still signs {signed} audit records, which could no longer be "
            "verified; run `deputy audit reseal` (it checks the chain, then signs it with the "
            "active key) first, then retire it.")
    async with database.session(all_teams=True) as session:
        was_recorded = await credentials.forget_key(session, key_id)
    configured = keyring.get(key_id) is not None
    if not configured and not was_recorded:
        raise UserError(f"there is no master key {key_id!r}")
    log.info("vault: retired master key %r", key_id)
    if keyring.is_file:
        if configured:
            await keyring.remove_key(key_id)
        return f"master key {key_id!r} retired and removed from {keyring.source}"
    if configured:
        return (
            f"master key {key_id!r} retired; no credential needs it. "
            f"Remove it from {keyring.source} at the next restart"
        )
    return f"master key {key_id!r} retired"


async def audit_records_signed_with(database: Database, key_id: str) -> int:
    async with database.session(all_teams=True) as session:
        return await audit.count_signed_with(session, key_id)
