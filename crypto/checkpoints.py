"""Signed tree heads ("checkpoints") for the tamper-evident audit log, Ed25519.

python-jose has no EdDSA, so signing uses `cryptography` directly.  The signed
bytes are exactly ``Checkpoint.text()``: four newline-terminated lines (origin,
size, root hex, timestamp).  Every field is validated on construction so that
text is unambiguous: no field can smuggle a newline and shift the others.
Signatures and the public key ``x`` travel as base64url without padding.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from .jose_es256 import b64url_decode, b64url_encode, thumbprint

_KEY_BYTES: Final = 32
_SIG_BYTES: Final = 64
_UTC_TIMESTAMP: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?Z"
)


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log ``origin`` had ``size`` leaves with Merkle ``root`` at ``timestamp``.

    ``timestamp`` is RFC 3339 in UTC with a literal ``Z`` (e.g.
    "2026-11-23T04:00:00Z") so one instant has one spelling in the signed text.
    """

    origin: str
    size: int
    root: bytes
    timestamp: str

    def __post_init__(self) -> None:
        """Refuse values that would make the signed text ambiguous or non-canonical."""
        if not isinstance(self.origin, str) or not self.origin or not self.origin.isprintable():
            raise ValueError("origin must be a non-empty single line of printable text")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise ValueError("size must be a non-negative int")
        if not isinstance(self.root, bytes) or not self.root:
            raise ValueError("root must be non-empty bytes")
        if not isinstance(self.timestamp, str) or not _UTC_TIMESTAMP.fullmatch(self.timestamp):
            raise ValueError("timestamp must be RFC 3339 UTC ending in 'Z'")
        try:
            datetime.fromisoformat(self.timestamp)
        except ValueError as exc:
            raise ValueError("timestamp is not a real date-time") from exc

    def text(self) -> bytes:
        """The exact bytes that are signed: origin, size, root hex, timestamp, one per line."""
        return f"{self.origin}\n{self.size}\n{self.root.hex()}\n{self.timestamp}\n".encode()


def generate_signing_key() -> Ed25519PrivateKey:
    """Make a fresh Ed25519 key for signing checkpoints."""
    return Ed25519PrivateKey.generate()


def private_to_raw(key: Ed25519PrivateKey) -> bytes:
    """The 32-byte raw seed, for the key store."""
    return key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def private_from_raw(raw: bytes) -> Ed25519PrivateKey:
    """Load a key from its 32-byte raw seed (ValueError on any other length)."""
    if not isinstance(raw, bytes) or len(raw) != _KEY_BYTES:
        raise ValueError("Ed25519 private keys are 32 raw bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def okp_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """RFC 8037 public JWK with exactly kty, crv, x, published for auditors."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}


def public_key_from_okp_jwk(jwk: Mapping[str, str]) -> Ed25519PublicKey:
    """Parse an Ed25519 public JWK strictly, raising ValueError on anything else."""
    if not isinstance(jwk, Mapping):
        raise ValueError("JWK must be a mapping")
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("JWK is not an Ed25519 key")
    if "d" in jwk:
        raise ValueError("JWK holds private key material")
    raw = b64url_decode(jwk.get("x"))
    if len(raw) != _KEY_BYTES:
        raise ValueError("Ed25519 public keys are 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """Key id: RFC 7638 thumbprint of the OKP JWK (members crv, kty, x)."""
    return thumbprint(okp_jwk(public_key))


def sign_checkpoint(cp: Checkpoint, key: Ed25519PrivateKey) -> str:
    """Sign ``cp.text()``; the 64-byte signature is returned as base64url without padding."""
    return b64url_encode(key.sign(cp.text()))


def verify_checkpoint(cp: Checkpoint, signature: str, jwk: Mapping[str, str]) -> bool:
    """True only for a valid signature over ``cp.text()``; any garbage input gives False.

    Auditors feed this data fetched from elsewhere, so it answers rather than raises.
    """
    if not isinstance(cp, Checkpoint):
        return False
    try:
        public = public_key_from_okp_jwk(jwk)
        raw_signature = b64url_decode(signature)
    except (ValueError, TypeError):
        return False
    if len(raw_signature) != _SIG_BYTES:
        return False
    try:
        public.verify(raw_signature, cp.text())
    except InvalidSignature:
        return False
    return True
