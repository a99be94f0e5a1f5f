"""``deputy audit verify`` and ``deputy audit export``: the bodies the CLI calls."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TextIO

from bot.settings import Settings
from bot.store import audit_checkpoint
from bot.store.audit import SYSTEM
from bot.store.audit_verify import ALL, Chain, VerifyReport, export, reseal, verify
from bot.store.migrate import open_database
from bot.vault.audit_key import AuditKeys
from bot.vault.keyfile import KEY_FILE_NAME
from bot.vault.keyring import load_keyring


async def audit_keys(settings: Settings) -> AuditKeys | None:
    """The keyring's audit keys; None when there is no keyring (a read command never creates
    a key file): keyed records then show as records that cannot be checked."""
    master = settings.master_key.get_secret_value() if settings.master_key else None
    if not master and not (settings.home / KEY_FILE_NAME).exists():
        return None
    return AuditKeys(await load_keyring(settings.home, master))


def parse_team(text: str | None) -> Chain:
    """``--team``: a team key (``slack:T0123``), ``system`` for the records of no team, or
    nothing for every chain."""
    if text is None:
        return ALL
    if text == SYSTEM:
        return None
    platform, _, team = text.partition(":")
    if not platform or not team or ":" in team:
        raise ValueError(f"--team {text!r} is not a team key: give platform:team "
                         f"(e.g. slack:T0123, discord:81234, shell:local) or {SYSTEM!r}")
    return text


def parse_since(text: str) -> datetime:
    """An ISO date or date-time; a naive one is taken as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as err:
        raise ValueError(f"--since {text!r} is not an ISO date or date-time (e.g. 2026-11-01)") from err
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


async def verify_audit(settings: Settings, expected_head: str | None = None,
                       team: Chain = ALL) -> VerifyReport:
    """Checked with the keyring: a record not signed with one of its keys is a problem.
    ``team``: only that team's chain (None: the operator/system chain). Each chain's outcome
    moves its checkpoint as the console's *Verify the chain* does (bot/store/audit_checkpoint.py)."""
    keys = await audit_keys(settings)
    db = await open_database(settings)
    try:
        async with db.session(all_teams=True) as session:
            report = await verify(session, expected_head, keys, team=team)
            await audit_checkpoint.record_each(session, report)
            return report
    finally:
        await db.dispose()


async def reseal_audit(settings: Settings) -> int:
    """Check the chain, then sign every record with the active key; ValueError if it does
    not check out (nothing is changed then)."""
    keys = await audit_keys(settings)
    if keys is None:
        raise ValueError(f"there is no master key (DEPUTY_MASTER_KEY or {settings.home / KEY_FILE_NAME}) "
                         "to sign the audit log with")
    db = await open_database(settings)
    try:
        async with db.session(all_teams=True) as session:
            count = await reseal(session, keys)
            await audit_checkpoint.forget_all(session)
            return count
    finally:
        await db.dispose()


async def export_audit(settings: Settings, since: datetime | None, out: TextIO,
                       team: Chain = ALL) -> int:
    """Write JSON Lines to ``out`` (``team``: that chain only); returns how many records
    were written."""
    db = await open_database(settings)
    count = 0
    batch: list[str] = []
    try:
        async with db.session(all_teams=True) as session:
            async for line in export(session, since, team):
                batch.append(line)
                if len(batch) >= 500:
                    await asyncio.to_thread(out.writelines, batch)
                    count, batch = count + len(batch), []
        await asyncio.to_thread(out.writelines, batch)
        count += len(batch)
    finally:
        await db.dispose()
    return count
