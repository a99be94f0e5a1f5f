"""Tables of the credential vault (see :mod:`bot.vault`) and their queries.

A credential row holds only ciphertext: the secret fields are sealed under a per-credential
data key, and that data key is sealed (wrapped) under a master key named by ``key_id``.
Master keys themselves never reach the database; ``vault_keys`` keeps, per key id, a
key-check value that lets start-up tell a wrong key from a right one.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import DateTime, Index, LargeBinary, UniqueConstraint, bindparam, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import team_of_actor_key
from bot.store.database import Conflict
from bot.store.tables import utcnow
from bot.store.types import TeamScoped


class CredentialRow(TeamScoped, table=True):
    __tablename__ = "credentials"
    __table_args__ = (
        # one credential per person per integration: connecting again replaces it
        UniqueConstraint("owner_key", "integration", name="uq_credentials_owner_integration"),
        # rotation and retire look records up by the master key that wraps them
        Index("ix_credentials_key_id", "key_id"),
    )

    # random, chosen before encryption so the associated data can name it
    id: str = Field(primary_key=True, max_length=32)
    owner_key: str = Field(max_length=200)  # actor key platform:team:user
    integration: str = Field(max_length=80)
    scheme: int = Field(default=1, description="Layout of the sealed fields; 1 = AES-256-GCM envelope.")
    key_id: str = Field(max_length=64)
    # nonce || AES-GCM(master key, data key); the only column rotation rewrites
    wrapped_key: bytes = Field(sa_type=LargeBinary, repr=False)
    # nonce || AES-GCM(data key, JSON of the fields)
    payload: bytes = Field(sa_type=LargeBinary, repr=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class VaultKeyRow(SQLModel, table=True):
    """A master key id the vault has seen, with a value only the right key can open."""

    __tablename__ = "vault_keys"

    key_id: str = Field(primary_key=True, max_length=64)
    check_value: bytes = Field(sa_type=LargeBinary, repr=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class CredentialListing(NamedTuple):
    integration: str
    created_at: datetime
    updated_at: datetime
    key_id: str


class Rewrap(NamedTuple):
    credential_id: str
    old_wrapped: bytes
    new_wrapped: bytes
    key_id: str


async def credential_of(session: AsyncSession, owner_key: str, integration: str) -> CredentialRow | None:
    return (await session.exec(select(CredentialRow).where(
        CredentialRow.owner_key == owner_key, CredentialRow.integration == integration))).first()


async def save_credential(session: AsyncSession, row: CredentialRow | None, credential_id: str,
                          owner_key: str, integration: str, *, key_id: str, wrapped_key: bytes,
                          payload: bytes) -> None:
    """Store a new credential (``row`` None) or replace ``row``'s ciphertext. Raises
    :class:`Conflict` when another process stored a first one for the same owner and
    integration meanwhile."""
    if row is None:
        session.add(CredentialRow(team_key=team_of_actor_key(owner_key), id=credential_id, owner_key=owner_key,
                                  integration=integration,
                                  key_id=key_id, wrapped_key=wrapped_key, payload=payload))
    else:
        row.key_id, row.wrapped_key, row.payload = key_id, wrapped_key, payload
        row.updated_at = utcnow()
    try:
        await session.flush()
    except IntegrityError as err:
        raise Conflict(f"credential of {owner_key} for {integration}") from err


async def delete_credential(session: AsyncSession, owner_key: str, integration: str) -> bool:
    row = await credential_of(session, owner_key, integration)
    if row is None:
        return False
    await session.delete(row)
    return True


async def credentials_of(session: AsyncSession, owner_key: str) -> list[CredentialListing]:
    rows = await session.exec(select(
        CredentialRow.integration, CredentialRow.created_at, CredentialRow.updated_at, CredentialRow.key_id,
    ).where(CredentialRow.owner_key == owner_key).order_by(col(CredentialRow.integration)))
    return [CredentialListing(*row) for row in rows.all()]


async def count_by_key(session: AsyncSession) -> dict[str, int]:
    """Master key id → how many credentials are wrapped with it."""
    rows = await session.exec(select(CredentialRow.key_id, func.count()).group_by(col(CredentialRow.key_id)))
    return {key_id: int(count) for key_id, count in rows.all()}


async def one_wrapped_with(session: AsyncSession, key_id: str) -> tuple[str, bytes] | None:
    """(id, wrapped data key) of some credential wrapped with ``key_id``."""
    row = (await session.exec(select(CredentialRow.id, CredentialRow.wrapped_key)
                              .where(CredentialRow.key_id == key_id).limit(1))).first()
    return (row[0], row[1]) if row is not None else None


async def wrapped_not_with(session: AsyncSession, key_id: str, after_id: str,
                           limit: int) -> list[tuple[str, str, bytes]]:
    """(id, key id, wrapped data key) of up to ``limit`` credentials not wrapped with
    ``key_id``, ids above ``after_id`` in order (rotation's batches)."""
    rows = await session.exec(select(CredentialRow.id, CredentialRow.key_id, CredentialRow.wrapped_key)
                              .where(CredentialRow.key_id != key_id, col(CredentialRow.id) > after_id)
                              .order_by(col(CredentialRow.id)).limit(limit))
    return [(row[0], row[1], row[2]) for row in rows.all()]


async def rewrap(session: AsyncSession, changes: list[Rewrap]) -> None:
    """Replace wrapped data keys, each only if its row still holds what was read: a
    concurrent ``put`` wins untouched."""
    if not changes:
        return
    table = CredentialRow.metadata.tables["credentials"]
    statement = (update(table)
                 .where(table.c.id == bindparam("b_id"), table.c.wrapped_key == bindparam("b_old"))
                 .values(wrapped_key=bindparam("b_new"), key_id=bindparam("b_key")))
    await session.exec(statement, params=[
        {"b_id": c.credential_id, "b_old": c.old_wrapped, "b_new": c.new_wrapped, "b_key": c.key_id}
        for c in changes])


async def key_checks(session: AsyncSession) -> dict[str, bytes]:
    """Recorded master key id → its key-check value."""
    return {row.key_id: row.check_value for row in (await session.exec(select(VaultKeyRow))).all()}


async def key_check(session: AsyncSession, key_id: str) -> bytes | None:
    row = await session.get(VaultKeyRow, key_id)
    return row.check_value if row is not None else None


async def record_key(session: AsyncSession, key_id: str, check_value: bytes) -> None:
    """Record a key id; :class:`Conflict` when another process recorded it meanwhile."""
    session.add(VaultKeyRow(key_id=key_id, check_value=check_value))
    try:
        await session.flush()
    except IntegrityError as err:
        raise Conflict(f"master key {key_id!r}") from err


async def forget_key(session: AsyncSession, key_id: str) -> bool:
    """True when the key id was recorded."""
    result = await session.exec(delete(VaultKeyRow).where(col(VaultKeyRow.key_id) == key_id))
    return bool(result.rowcount)
