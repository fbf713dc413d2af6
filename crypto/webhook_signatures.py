"""Standard Webhooks v1 signatures: HMAC-SHA256 over `id.timestamp.body`.

A secret is `whsec_` followed by the base64 of random bytes; the signature header lists one
`v1,<base64>` per secret, separated by spaces, so a receiver still holding the old secret
during a rotation keeps verifying (https://www.standardwebhooks.com/, "Signature scheme").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence

__all__ = ["SECRET_PREFIX", "new_secret", "secret_key", "signature_header"]

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
_SECRET_BYTES = 32  # the specification asks for 24 to 64


def new_secret() -> str:
    """A fresh random secret in the specification's `whsec_<base64>` form."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(_SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key a secret stands for: the bytes its base64 part encodes."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    if not key:
        raise ValueError("a webhook secret may not be empty")
    return key


def signature_header(secrets: Sequence[str], *, message_id: str, timestamp: int,
                     body: bytes) -> str:
    """The `webhook-signature` value: one `v1,` signature per secret, newest first."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    signed = f"{message_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(secret_key(s), signed, hashlib.sha256).digest())
        .decode("ascii") for s in secrets)
