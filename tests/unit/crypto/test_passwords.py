"""argon2id hashing: parameters, verification, rehash detection, dummy verification."""

from __future__ import annotations

import unicodedata

import pytest
from argon2 import PasswordHasher

from crypto.passwords import (
    burn_verify,
    hash_password,
    needs_rehash,
    random_password,
    verify_password,
)

PASSWORD = "Mật khẩu rất dài của tôi"


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password(PASSWORD)


def test_hash_is_argon2id_rfc9106_low_memory(stored: str) -> None:
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert not needs_rehash(stored)


def test_verify_true_and_false(stored: str) -> None:
    assert verify_password(stored, PASSWORD) is True
    assert verify_password(stored, PASSWORD + "!") is False


def test_verify_normalises_unicode(stored: str) -> None:
    assert verify_password(stored, unicodedata.normalize("NFD", PASSWORD)) is True


@pytest.mark.parametrize("bad", ["", "not a hash", "$argon2id$v=19$m=65536,t=3,p=4$xx", "$2b$12$x"])
def test_malformed_hash_is_false(bad: str) -> None:
    assert verify_password(bad, PASSWORD) is False
    assert needs_rehash(bad) is True


def test_needs_rehash_for_weaker_parameters() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    assert needs_rehash(weak) is True
    assert verify_password(weak, PASSWORD) is True  # still verifiable, then upgraded


def test_burn_verify_runs() -> None:
    assert burn_verify("whatever") is None
    assert burn_verify("again, with the cached dummy hash") is None


def test_random_password() -> None:
    pw = random_password()
    assert len(pw) == 24
    assert pw.isalnum() and pw.isascii()
    assert not set(pw) & set("0O1lIo")
    assert random_password() != pw
    assert len(random_password(32)) == 32
    with pytest.raises(ValueError):
        random_password(8)
