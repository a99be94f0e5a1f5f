"""Envelope encryption of one credential record.

The secret fields are sealed under a fresh random data key (AAD: credential id, owner,
integration); the data key is sealed under a master key (AAD: credential id, key id).
Rotation therefore rewrites only the small wrapped data key, never the payload.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.vault.crypto import (
    KEY_BYTES,
    SealBroken,
    new_key,
    payload_aad,
    seal,
    unseal,
    wrap_aad,
)
from bot.vault.keys import MasterKey


@dataclass(frozen=True)
class SealedRecord:
    key_id: str
    wrapped_key: bytes
    payload: bytes

    def __repr__(self) -> str:
        return f"SealedRecord(key_id={self.key_id!r}, ...)"


class SecretFields(dict[str, str]):
    """The decrypted fields of a credential: a plain dict whose repr hides the values,
    so a stray log line or traceback shows field names only."""

    def __repr__(self) -> str:
        return "SecretFields(" + ", ".join(f"{name}=***" for name in self) + ")"

    __str__ = __repr__


def new_credential_id() -> str:
    return secrets.token_hex(16)


def encode_fields(fields: dict[str, str]) -> bytes:
    """Validate and serialise. Errors name the field, never its value."""
    if not isinstance(fields, dict) or not fields:
        raise ValueError("credential fields must be a non-empty dict of strings")
    for name, value in fields.items():
        if not isinstance(name, str) or not name:
            raise ValueError("credential field names must be non-empty strings")
        if not isinstance(value, str):
            raise ValueError(f"credential field {name!r} must be a string")
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()


def decode_fields(plaintext: bytes) -> SecretFields:
    try:
        data: Any = json.loads(plaintext)
    except ValueError:
        raise SealBroken("payload is not JSON") from None
    if not isinstance(data, dict):
        raise SealBroken("payload is not an object")
    return SecretFields({str(k): str(v) for k, v in data.items()})


def seal_record(
    master: MasterKey, credential_id: str, owner_key: str, integration: str, plaintext: bytes
) -> SealedRecord:
    data_key = new_key()
    payload = seal(AESGCM(data_key), plaintext, payload_aad(credential_id, owner_key, integration))
    wrapped = seal(master.aead, data_key, wrap_aad(credential_id, master.key_id))
    return SealedRecord(master.key_id, wrapped, payload)


def open_record(
    master: MasterKey,
    credential_id: str,
    owner_key: str,
    integration: str,
    wrapped_key: bytes,
    payload: bytes,
) -> SecretFields:
    """Raise :class:`SealBroken` if any byte or any bound name differs from when sealed."""
    data_key = _unwrap(master, credential_id, wrapped_key)
    plaintext = unseal(AESGCM(data_key), payload, payload_aad(credential_id, owner_key, integration))
    return decode_fields(plaintext)


def rewrap(old: MasterKey, new: MasterKey, credential_id: str, wrapped_key: bytes) -> bytes:
    """The same data key, wrapped under ``new`` instead of ``old``."""
    data_key = _unwrap(old, credential_id, wrapped_key)
    return seal(new.aead, data_key, wrap_aad(credential_id, new.key_id))


def _unwrap(master: MasterKey, credential_id: str, wrapped_key: bytes) -> bytes:
    data_key = unseal(master.aead, wrapped_key, wrap_aad(credential_id, master.key_id))
    if len(data_key) != KEY_BYTES:
        raise SealBroken("data key has the wrong size")
    return data_key
