"""Password hashing with argon2id (argon2-cffi defaults = RFC 9106 second profile).

All functions here are synchronous and deliberately slow (~50-100 ms each): async callers
must run them in a worker thread (e.g. ``anyio.to_thread.run_sync``) so they do not block
the event loop.

Passwords are NFKC-normalised before hashing (NIST SP 800-63B-4), so the same Vietnamese
password typed with a composed or decomposed input method verifies the same way.
"""

from __future__ import annotations

import functools
import secrets
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "burn_verify",
    "hash_password",
    "needs_rehash",
    "random_password",
    "verify_password",
]

_hasher = PasswordHasher()

# URL-safe letters and digits minus look-alikes (0/O/o, 1/l/I) so a one-time password
# can be read over the phone or copied from paper without mistakes.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # 56 symbols
_MIN_RANDOM_LENGTH = 15  # the policy minimum for a password that is the only factor


def _prepare(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    """Hash ``password`` for storage (PHC string ``$argon2id$...``)."""
    return _hasher.hash(_prepare(password))


def verify_password(stored_hash: str, password: str) -> bool:
    """True iff ``password`` matches; False on mismatch or a malformed hash, never raises."""
    try:
        return _hasher.verify(stored_hash, _prepare(password))
    except (VerificationError, InvalidHashError, ValueError, TypeError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True if the hash was made with weaker parameters (or is unreadable): rehash on login."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError, TypeError):
        return True


@functools.cache
def _dummy_hash() -> str:
    """A hash nobody knows the password of, computed once on first need."""
    return _hasher.hash(secrets.token_urlsafe(32))


def burn_verify(password: str) -> None:
    """Spend one full verification for an unknown user, so timing does not reveal
    which usernames exist."""
    verify_password(_dummy_hash(), password)


def random_password(length: int = 24) -> str:
    """A random one-time password (default 24 chars, about 139 bits)."""
    if length < _MIN_RANDOM_LENGTH:
        raise ValueError(f"length must be at least {_MIN_RANDOM_LENGTH}")
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
