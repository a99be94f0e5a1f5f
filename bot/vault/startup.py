"""Start-up check: does this process hold the master keys the stored credentials need?

Run :func:`check_keyring` once before serving. A wrong or missing key then stops start-up
with one :class:`SettingsError` line, instead of failing credential reads mid-run.
"""

from __future__ import annotations

import logging

from bot.errors import SettingsError
from bot.store import credentials
from bot.store.database import Conflict, Database
from bot.vault.crypto import SealBroken, key_check_value, key_matches_check, unseal, wrap_aad
from bot.vault.keyring import Keyring
from bot.vault.keys import MasterKey

log = logging.getLogger(__name__)


async def needed_key_ids(database: Database) -> dict[str, int]:
    """Master key id → number of credentials wrapped with it."""
    async with database.session(all_teams=True) as session:
        return await credentials.count_by_key(session)


async def check_keyring(database: Database, keyring: Keyring) -> None:
    """Raise :class:`SettingsError` if a key is wrong or missing; record new key ids."""
    await keyring.refresh()
    async with database.session(all_teams=True) as session:
        known = await credentials.key_checks(session)
    for key_id in keyring.key_ids:
        key = keyring.get(key_id)
        if key is not None and key_id in known:
            _require_match(keyring, key, known[key_id])
    needed = await needed_key_ids(database)
    missing = {key_id: count for key_id, count in needed.items() if keyring.get(key_id) is None}
    if missing:
        key_id = sorted(missing)[0]
        count = missing[key_id]
        more = f" (and {len(missing) - 1} more missing key ids)" if len(missing) > 1 else ""
        noun = "credential" if count == 1 else "credentials"
        raise SettingsError(
            f"master key {key_id!r} is needed by {count} {noun} but is not configured "
            f"in {keyring.source}{more}"
        )
    for key_id in keyring.key_ids:
        key = keyring.get(key_id)
        if key is not None and key_id not in known:
            if key_id in needed:
                # records exist but no check value (older database): try one of them
                await _require_opens_a_record(database, keyring, key)
            await register_key(database, keyring, key)


async def _require_opens_a_record(database: Database, keyring: Keyring, key: MasterKey) -> None:
    async with database.session(all_teams=True) as session:
        row = await credentials.one_wrapped_with(session, key.key_id)
    if row is None:
        return
    try:
        unseal(key.aead, row[1], wrap_aad(row[0], key.key_id))
    except SealBroken:
        raise _mismatch(keyring, key) from None


async def register_key(database: Database, keyring: Keyring, key: MasterKey) -> None:
    """Record ``key``'s check value, or verify it against the one already recorded."""
    try:
        async with database.session(all_teams=True) as session:
            existing = await credentials.key_check(session, key.key_id)
            if existing is not None:
                _require_match(keyring, key, existing)
                return
            await credentials.record_key(session, key.key_id, key_check_value(key.aead, key.key_id))
    except Conflict:
        # another process recorded this key id at the same moment: compare with theirs
        async with database.session(all_teams=True) as session:
            existing = await credentials.key_check(session, key.key_id)
        if existing is None:
            raise
        _require_match(keyring, key, existing)
        return
    log.info("vault: recorded master key %r", key.key_id)


def _require_match(keyring: Keyring, key: MasterKey, check_value: bytes) -> None:
    if not key_matches_check(key.aead, key.key_id, check_value):
        raise _mismatch(keyring, key)


def _mismatch(keyring: Keyring, key: MasterKey) -> SettingsError:
    return SettingsError(
        f"{keyring.source} does not match the key that encrypted the stored credentials "
        f"(key id {key.key_id!r} holds different key material)"
    )
