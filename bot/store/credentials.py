"""Tables of the credential vault (see :mod:`bot.vault`).

A credential row holds only ciphertext: the secret fields are sealed under a per-credential
data key, and that data key is sealed (wrapped) under a master key named by ``key_id``.
Master keys themselves never reach the database; ``vault_keys`` keeps, per key id, a
key-check value that lets start-up tell a wrong key from a right one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.tables import utcnow


class CredentialRow(SQLModel, table=True):
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
