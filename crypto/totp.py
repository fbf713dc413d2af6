"""RFC 6238 time-based one-time passwords (6 digits, SHA-1, 30 s: what authenticator apps use).

:func:`verify` returns the matched time step so the caller can persist it and refuse a
replay of the same (or an older) code, as RFC 6238 section 5.2 requires.
"""

from __future__ import annotations

import hmac
import os

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

__all__ = ["DIGITS", "PERIOD", "code_at", "new_secret", "provisioning_uri", "verify"]

DIGITS = 6
PERIOD = 30
_SECRET_LEN = 20  # 160 bits, the RFC 4226 recommendation for SHA-1


def _totp(secret: bytes) -> TOTP:
    # SHA-1 is the interoperable TOTP default; HMAC-SHA-1 remains sound for this use.
    return TOTP(secret, DIGITS, SHA1(), PERIOD)  # noqa: S303


def new_secret() -> bytes:
    """A fresh random 160-bit shared secret."""
    return os.urandom(_SECRET_LEN)


def provisioning_uri(secret: bytes, *, account: str, issuer: str) -> str:
    """``otpauth://totp/...`` URI (for a QR code) carrying secret, issuer, digits, period."""
    return _totp(secret).get_provisioning_uri(account, issuer)


def code_at(secret: bytes, at: float) -> str:
    """The code valid at Unix time ``at``."""
    return _totp(secret).generate(at).decode("ascii")


def verify(
    secret: bytes,
    code: str,
    *,
    at: float,
    window: int = 1,
    last_used_step: int | None = None,
) -> int | None:
    """Return the time step ``code`` matches within ±``window`` steps of ``at``, else None.

    Steps ``<= last_used_step`` never match, so a code (or an older one) cannot be replayed.
    Malformed codes simply return None: callers treat them like wrong codes.
    """
    if window < 0:
        raise ValueError("window must be >= 0")
    if not isinstance(code, str) or len(code) != DIGITS:
        return None
    if not (code.isascii() and code.isdigit()):
        return None
    totp = _totp(secret)
    candidate = code.encode("ascii")
    current = int(at // PERIOD)
    for step in range(current - window, current + window + 1):
        if step < 0 or (last_used_step is not None and step <= last_used_step):
            continue
        if hmac.compare_digest(totp.generate(step * PERIOD), candidate):
            return step
    return None
