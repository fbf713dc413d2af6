"""Field-level encryption of personal data, plus a blind index for exact-match lookups.

Each value is bound (via AES-GCM associated data) to its table, column, row and key
version, so a ciphertext copied into another row or column does not decrypt: an
attacker with write access to the database cannot swap one person's data for another's.
The 2-byte version prefix lets keys rotate while old rows stay readable.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["DecryptionError", "FieldCipher", "blind_index", "keyed_digest", "new_data_key"]

_KEY_LEN = 32
_VERSION_LEN = 2
_NONCE_LEN = 12
_TAG_LEN = 16
_MAX_VERSION = 0xFFFF


class DecryptionError(Exception):
    """A field blob is malformed, tampered, misplaced or under an unknown key version."""


def new_data_key() -> bytes:
    """A fresh random 256-bit data key."""
    return os.urandom(_KEY_LEN)


def _check_key(key: bytes) -> None:
    if len(key) != _KEY_LEN:
        raise ValueError(f"key must be {_KEY_LEN} bytes, got {len(key)}")


class FieldCipher:
    """AES-256-GCM over text fields, with versioned keys for rotation."""

    def __init__(self, keys: Mapping[int, bytes], current_version: int) -> None:
        """``keys`` maps version -> 32-byte key; new data is written under ``current_version``."""
        for version, key in keys.items():
            if not 0 <= version <= _MAX_VERSION:
                raise ValueError(f"key version {version} out of range 0..{_MAX_VERSION}")
            _check_key(key)
        if current_version not in keys:
            raise ValueError(f"no key for current version {current_version}")
        self._aeads = {version: AESGCM(bytes(key)) for version, key in keys.items()}
        self._current = current_version

    @property
    def current_version(self) -> int:
        """Key version used by :meth:`encrypt`."""
        return self._current

    def encrypt(self, plaintext: str, *, table: str, column: str, row_id: str) -> bytes:
        """Encrypt ``plaintext`` for exactly this table/column/row (fresh nonce each call)."""
        _check_identifiers(table, column)
        version = self._current
        nonce = os.urandom(_NONCE_LEN)
        aad = _aad(table, column, row_id, version)
        ciphertext = self._aeads[version].encrypt(nonce, plaintext.encode("utf-8"), aad)
        return version.to_bytes(_VERSION_LEN, "big") + nonce + ciphertext

    def decrypt(self, blob: bytes, *, table: str, column: str, row_id: str) -> str:
        """Decrypt a blob for this table/column/row; any failure is a DecryptionError."""
        try:
            _check_identifiers(table, column)
            data = bytes(blob)
            version = self.version_of(data)
            aead = self._aeads.get(version)
            if aead is None:
                raise DecryptionError(f"unknown key version {version}")
            nonce = data[_VERSION_LEN : _VERSION_LEN + _NONCE_LEN]
            aad = _aad(table, column, row_id, version)
            plain = aead.decrypt(nonce, data[_VERSION_LEN + _NONCE_LEN :], aad)
            return plain.decode("utf-8")
        except DecryptionError:
            raise
        except (InvalidTag, ValueError, TypeError) as exc:  # UnicodeDecodeError is a ValueError
            raise DecryptionError(f"cannot decrypt {table}.{column} for row {row_id}") from exc

    def version_of(self, blob: bytes) -> int:
        """Key version a blob was written under (to find rows needing re-encryption)."""
        if len(blob) < _VERSION_LEN + _NONCE_LEN + _TAG_LEN:
            raise DecryptionError("field blob too short")
        return int.from_bytes(blob[:_VERSION_LEN], "big")


def _check_identifiers(table: str, column: str) -> None:
    """Colons in table/column would make the AAD ambiguous between different fields."""
    if ":" in table or ":" in column:
        raise ValueError("table and column names must not contain ':'")


def _aad(table: str, column: str, row_id: str, version: int) -> bytes:
    return f"kt1:{table}:{column}:{row_id}:v{version}".encode()


def _normalise(value: str) -> str:
    """Canonical form so '0 01 234567890 ' and '001234567890' index the same."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def blind_index(key: bytes, value: str) -> str:
    """Keyed hash of a normalised value: equality search without storing the plaintext."""
    _check_key(key)
    return hmac.new(key, _normalise(value).encode("utf-8"), hashlib.sha256).hexdigest()


def keyed_digest(key: bytes, purpose: str, value: str) -> str:
    """Keyed hash of `value` exactly as given, separated by `purpose` from every other use of
    `key` (the blind index among them): a name can be counted without being stored."""
    _check_key(key)
    if "\x00" in purpose:
        raise ValueError("a purpose must not contain NUL (it separates purpose from value)")
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()
