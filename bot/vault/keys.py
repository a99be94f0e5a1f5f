"""Master keys and their text format, shared by DEPUTY_MASTER_KEY and the key file.

Format: entries ``<key id>:<base64 of 32 random bytes>``, separated by commas (environment)
or newlines (file). The first entry is the active key: new credentials are wrapped with
it and rotation moves every record onto it. The others stay readable during a rotation.

    DEPUTY_MASTER_KEY="k2:q3J0…=,k1:Zm9v…="

Error messages name the entry's position and key id, never the key material.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.errors import SettingsError
from bot.vault.crypto import KEY_BYTES, new_key

_KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_NUMBERED_ID = re.compile(r"^k(\d+)$")


@dataclass(frozen=True)
class MasterKey:
    key_id: str
    material: bytes = field(repr=False)
    # built once: a master key unwraps a data key on every credential read
    aead: AESGCM = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "aead", AESGCM(self.material))

    def __repr__(self) -> str:
        return f"MasterKey({self.key_id!r})"

    def entry(self) -> str:
        """The ``id:base64`` text of this key, for the key file or DEPUTY_MASTER_KEY."""
        return f"{self.key_id}:{base64.b64encode(self.material).decode()}"


def generate_key(key_id: str) -> MasterKey:
    check_key_id(key_id, where="new key")
    return MasterKey(key_id, new_key())


def next_key_id(existing: Iterable[str]) -> str:
    """``k1``, ``k2``… one above the highest numbered id in use (never reuses a number)."""
    numbers = [int(m.group(1)) for m in map(_NUMBERED_ID.match, existing) if m]
    return f"k{max(numbers, default=0) + 1}"


def check_key_id(key_id: str, *, where: str) -> None:
    if not _KEY_ID.match(key_id):
        raise SettingsError(
            f"{where}: key id {key_id!r} must be 1-64 letters, digits, '.', '_' or '-'"
        )


def parse_entries(entries: Iterable[tuple[str, str]], *, source: str) -> list[MasterKey]:
    """Parse ``(position label, text)`` pairs; raise :class:`SettingsError` on the first bad one."""
    keys: list[MasterKey] = []
    seen: set[str] = set()
    for label, text in entries:
        where = f"{source}: {label}"
        key_id, sep, encoded = text.strip().partition(":")
        key_id = key_id.strip()
        if not sep or not key_id or not encoded.strip():
            raise SettingsError(f"{where} must look like 'k1:<base64 of 32 random bytes>'")
        check_key_id(key_id, where=where)
        if key_id in seen:
            raise SettingsError(f"{where}: key id {key_id!r} appears twice")
        seen.add(key_id)
        keys.append(MasterKey(key_id, _decode_material(encoded.strip(), where, key_id)))
    if not keys:
        raise SettingsError(f"{source} holds no key")
    return keys


def parse_env_value(value: str) -> list[MasterKey]:
    parts = [p for p in value.split(",") if p.strip()]
    return parse_entries(
        ((f"entry {i}", p) for i, p in enumerate(parts, start=1)), source="DEPUTY_MASTER_KEY"
    )


def parse_file_text(text: str, *, source: str) -> list[MasterKey]:
    lines = (
        (f"line {n}", line)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    )
    return parse_entries(lines, source=source)


def render_file_text(keys: Iterable[MasterKey]) -> str:
    body = "".join(f"{k.entry()}\n" for k in keys)
    return (
        "# Deputy master keys: <key id>:<base64>. The first line is the active key.\n"
        "# Keep this file private (mode 0600) and back it up: without it the stored\n"
        "# credentials cannot be decrypted.\n" + body
    )


def _decode_material(encoded: str, where: str, key_id: str) -> bytes:
    try:
        # accept both alphabets: keys made with `openssl rand -base64 32` or urlsafe tools
        material = base64.b64decode(encoded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(f"{where}: key {key_id!r} is not valid base64") from None
    if len(material) != KEY_BYTES:
        raise SettingsError(
            f"{where}: key {key_id!r} must be {KEY_BYTES} bytes, got {len(material)}"
        )
    return material
