"""The AES-GCM primitives of the vault: sealing, associated data, key-check values.

Every sealed value is ``nonce (12 bytes) || ciphertext+tag``, with a fresh random nonce per
encryption. Associated data is a JSON array so that no choice of owner, integration or id
can make two different contexts encode to the same bytes.
"""

from __future__ import annotations

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12  # 96 bits, the size GCM is specified for
KEY_BYTES = 32  # AES-256
_CHECK_PLAINTEXT = b"deputy vault key check v1"


class SealBroken(Exception):
    """A sealed value did not open: wrong key, altered bytes, or another record's context.

    Internal to the vault; callers see :class:`bot.vault.errors.CredentialUnreadable`.
    """


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(aead: AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + aead.encrypt(nonce, plaintext, aad)


def unseal(aead: AESGCM, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < NONCE_BYTES + 16:
        raise SealBroken("sealed value is too short")
    try:
        return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except InvalidTag:
        raise SealBroken("authentication failed") from None


def payload_aad(credential_id: str, owner_key: str, integration: str) -> bytes:
    """Binds the secret fields to one record: moving them to another row breaks the tag."""
    return _aad("deputy-vault/v1/payload", credential_id, owner_key, integration)


def wrap_aad(credential_id: str, key_id: str) -> bytes:
    """Binds a wrapped data key to its credential and to the master key id it claims."""
    return _aad("deputy-vault/v1/data-key", credential_id, key_id)


def _aad(*parts: str) -> bytes:
    return json.dumps(list(parts), separators=(",", ":"), ensure_ascii=False).encode()


def key_check_value(aead: AESGCM, key_id: str) -> bytes:
    return seal(aead, _CHECK_PLAINTEXT, _aad("deputy-vault/v1/key-check", key_id))


def key_matches_check(aead: AESGCM, key_id: str, check_value: bytes) -> bool:
    try:
        opened = unseal(aead, check_value, _aad("deputy-vault/v1/key-check", key_id))
    except SealBroken:
        return False
    return opened == _CHECK_PLAINTEXT
