"""Master key rotation: rewrap every data key under the active master key.

Only the wrapped data key of each record changes; the payload ciphertext stays. Records
are rewrapped in batches, each committed in its own transaction, in credential id order.
Every record is readable at every moment (its row names the key that wraps it and the
keyring still holds the old key), so a rotation may be interrupted and simply run again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.errors import SettingsError
from bot.store import credentials
from bot.store.credentials import Rewrap
from bot.store.database import Database
from bot.vault.crypto import SealBroken
from bot.vault.envelope import rewrap
from bot.vault.keyring import Keyring
from bot.vault.keys import MasterKey
from bot.vault.startup import needed_key_ids, register_key

log = logging.getLogger(__name__)

BatchHook = Callable[[int], Awaitable[None]]


@dataclass
class RotationReport:
    active_key_id: str
    added_key_id: str | None = None
    rewrapped: int = 0
    batches: int = 0
    seconds: float = 0.0
    unreadable_ids: list[str] = field(default_factory=list)
    # records still on older keys afterwards (written concurrently by a process holding
    # an old keyring, or unreadable); a second run picks them up
    remaining: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        added = f"added key {self.added_key_id!r}; " if self.added_key_id else ""
        text = (
            f"{added}rewrapped {self.rewrapped} credentials under key {self.active_key_id!r} "
            f"in {self.batches} batches ({self.seconds:.1f} s)"
        )
        if self.unreadable_ids:
            text += f"; {len(self.unreadable_ids)} could not be decrypted and were left as they are"
        if self.remaining:
            left = ", ".join(f"{k}: {n}" for k, n in sorted(self.remaining.items()))
            text += f"; still on older keys: {left} (run rotate again)"
        return text


async def rotate(
    database: Database,
    keyring: Keyring,
    batch_size: int = 500,
    *,
    after_batch: BatchHook | None = None,
) -> RotationReport:
    """Finish a pending rotation, or start one.

    If some records are wrapped with a key other than the active one, they are moved onto
    the active key. If none are and the keys come from the key file, a new key is added
    first (atomically) and becomes active. With DEPUTY_MASTER_KEY, put the new key first
    in the variable, restart every process, then rotate.

    ``after_batch`` is awaited with the running count after each committed batch.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.perf_counter()
    await keyring.refresh()
    needed = await needed_key_ids(database)
    _require_configured(keyring, needed)
    report = RotationReport(active_key_id=keyring.active.key_id)
    pending = sum(n for k, n in needed.items() if k != keyring.active.key_id)
    if pending == 0 and keyring.is_file:
        report.added_key_id = (await keyring.add_key()).key_id
        report.active_key_id = keyring.active.key_id
        log.info("vault: added master key %r to %s", report.active_key_id, keyring.source)
    active = keyring.active
    await register_key(database, keyring, active)

    after_id = ""
    while True:
        done, after_id = await _rotate_batch(database, keyring, active, after_id, batch_size, report)
        if not after_id:
            break
        report.rewrapped += done
        report.batches += 1
        log.info("vault: rotation batch %d committed (%d so far)", report.batches, report.rewrapped)
        if after_batch is not None:
            await after_batch(report.rewrapped)

    report.remaining = {k: n for k, n in (await needed_key_ids(database)).items() if k != active.key_id}
    report.seconds = time.perf_counter() - started
    log.info("vault: %s", report.summary())
    return report


async def _rotate_batch(
    database: Database,
    keyring: Keyring,
    active: MasterKey,
    after_id: str,
    batch_size: int,
    report: RotationReport,
) -> tuple[int, str]:
    """Rewrap up to ``batch_size`` records with ids above ``after_id``, in one transaction.

    Returns (records rewrapped, last id seen or "" when there are no more)."""
    async with database.session(all_teams=True) as session:
        rows = await credentials.wrapped_not_with(session, active.key_id, after_id, batch_size)
        if not rows:
            return 0, ""
        changes = []
        for credential_id, key_id, wrapped in rows:
            old = keyring.get(key_id)
            if old is None:  # checked before starting; a concurrent retire removed it
                raise SettingsError(f"master key {key_id!r} vanished from {keyring.source} mid-rotation")
            try:
                new_wrapped = rewrap(old, active, credential_id, wrapped)
            except SealBroken:
                report.unreadable_ids.append(credential_id)
                continue
            changes.append(Rewrap(credential_id, wrapped, new_wrapped, active.key_id))
        # only where the row still holds what we read: a concurrent `put` wins untouched
        await credentials.rewrap(session, changes)
    return len(changes), rows[-1][0]


def _require_configured(keyring: Keyring, needed: dict[str, int]) -> None:
    for key_id, count in sorted(needed.items()):
        if keyring.get(key_id) is None:
            raise SettingsError(
                f"master key {key_id!r} is needed by {count} credentials but is not "
                f"configured in {keyring.source}; cannot rotate without it"
            )
