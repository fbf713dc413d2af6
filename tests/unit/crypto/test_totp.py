"""TOTP: RFC 6238 vectors, verification window, replay refusal, provisioning URI."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from crypto.totp import code_at, new_secret, provisioning_uri, verify

RFC_SECRET = b"12345678901234567890"


@pytest.mark.parametrize(
    ("at", "code"),
    [
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
        (20000000000, "353130"),
    ],
)
def test_rfc6238_sha1_vectors(at: int, code: str) -> None:
    assert code_at(RFC_SECRET, at) == code
    assert verify(RFC_SECRET, code, at=at, window=0) == at // 30


def test_window_one_step_accepted_two_refused() -> None:
    secret = new_secret()
    now = 1_700_000_015.0
    step = int(now // 30)
    for delta in (-1, 0, 1):
        assert verify(secret, code_at(secret, now + 30 * delta), at=now) == step + delta
    for delta in (-2, 2):
        assert verify(secret, code_at(secret, now + 30 * delta), at=now) is None


def test_replay_of_used_step_refused() -> None:
    secret = new_secret()
    now = 1_700_000_000.0
    code = code_at(secret, now)
    used = verify(secret, code, at=now)
    assert used is not None
    assert verify(secret, code, at=now, last_used_step=used) is None
    assert verify(secret, code, at=now + 10, last_used_step=used) is None
    older = code_at(secret, now - 30)
    assert verify(secret, older, at=now, last_used_step=used) is None  # older step refused
    newer = code_at(secret, now + 30)
    assert verify(secret, newer, at=now + 30, last_used_step=used) == used + 1


@pytest.mark.parametrize(
    "garbage", ["", "12345", "1234567", "abcdef", " 12345", "12 345", "١٢٣٤٥٦", "12345\n"]
)
def test_garbage_refused_without_raising(garbage: str) -> None:
    assert verify(RFC_SECRET, garbage, at=59) is None


def test_wrong_code_refused() -> None:
    assert verify(RFC_SECRET, "287083", at=59) is None  # neighbours of step 1 differ too


def test_new_secret() -> None:
    assert len(new_secret()) == 20
    assert new_secret() != new_secret()


def test_provisioning_uri_contents() -> None:
    uri = provisioning_uri(RFC_SECRET, account="nguyen.van.a", issuer="KT1 Vetting")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth"
    assert parts.netloc == "totp"
    assert unquote(parts.path) == "/KT1 Vetting:nguyen.van.a"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert base64.b32decode(query["secret"]) == RFC_SECRET
    assert query["issuer"] == "KT1 Vetting"
    assert query["digits"] == "6"
    assert query["period"] == "30"
    assert query["algorithm"] == "SHA1"
