"""Checkpoint (signed tree head) tests: round trip, tamper detection, garbage inputs."""

import base64
import dataclasses
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from crypto import checkpoints as c
from crypto.checkpoints import Checkpoint

KEY = c.generate_signing_key()
OTHER = c.generate_signing_key()
JWK = c.okp_jwk(KEY.public_key())
CP = Checkpoint(
    origin="kt1.example.vn/audit",
    size=42,
    root=hashlib.sha256(b"tree").digest(),
    timestamp="2026-11-23T04:00:00Z",
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_text_is_the_documented_format() -> None:
    expected = f"kt1.example.vn/audit\n42\n{CP.root.hex()}\n2026-11-23T04:00:00Z\n".encode()
    assert CP.text() == expected


def test_sign_verify_round_trip() -> None:
    signature = c.sign_checkpoint(CP, KEY)
    assert c.verify_checkpoint(CP, signature, JWK)
    assert len(signature) == 86 and not set(signature) & set("=+/")  # base64url, no padding
    assert c.sign_checkpoint(CP, KEY) == signature  # Ed25519 is deterministic


def test_raw_key_round_trip() -> None:
    raw = c.private_to_raw(KEY)
    assert len(raw) == 32
    loaded = c.private_from_raw(raw)
    assert c.verify_checkpoint(CP, c.sign_checkpoint(CP, loaded), JWK)
    with pytest.raises(ValueError):
        c.private_from_raw(raw[:31])


@pytest.mark.parametrize(
    "changes",
    [
        {"size": 43},
        {"root": hashlib.sha256(b"other tree").digest()},
        {"timestamp": "2026-11-23T04:00:01Z"},
        {"origin": "kt1.example.vn/audit2"},
    ],
)
def test_changed_field_fails(changes: dict[str, Any]) -> None:
    signature = c.sign_checkpoint(CP, KEY)
    assert not c.verify_checkpoint(dataclasses.replace(CP, **changes), signature, JWK)


def test_signature_by_another_key_fails() -> None:
    assert not c.verify_checkpoint(CP, c.sign_checkpoint(CP, OTHER), JWK)
    assert not c.verify_checkpoint(CP, c.sign_checkpoint(CP, KEY), c.okp_jwk(OTHER.public_key()))


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "!!!",
        "A" * 86,
        "A" * 87,
        None,
        123,
        b"\x00" * 64,
        "not base64 at all",
    ],
)
def test_garbage_signature_is_false(signature: Any) -> None:
    assert c.verify_checkpoint(CP, signature, JWK) is False


def test_non_canonical_or_padded_signature_is_false() -> None:
    good = c.sign_checkpoint(CP, KEY)
    std = base64.b64encode(base64.urlsafe_b64decode(good + "==")).decode()  # padded standard b64
    assert c.verify_checkpoint(CP, std, JWK) is (std == good)
    assert c.verify_checkpoint(CP, good + "=", JWK) is False
    assert c.verify_checkpoint(CP, good + "A", JWK) is False


@pytest.mark.parametrize(
    "jwk",
    [
        None,
        [],
        {},
        {**JWK, "crv": "X25519"},
        {**JWK, "kty": "EC"},
        {**JWK, "x": JWK["x"][:-1]},
        {**JWK, "x": 5},
        {"kty": "OKP", "crv": "Ed25519"},
        {**JWK, "d": JWK["x"]},
    ],
)
def test_garbage_jwk_is_false(jwk: Any) -> None:
    assert c.verify_checkpoint(CP, c.sign_checkpoint(CP, KEY), jwk) is False


def test_non_checkpoint_is_false() -> None:
    assert c.verify_checkpoint(None, c.sign_checkpoint(CP, KEY), JWK) is False  # type: ignore[arg-type]


def test_key_id_is_thumbprint_of_okp_jwk() -> None:
    raw = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert JWK == {"kty": "OKP", "crv": "Ed25519", "x": b64(raw)}
    canonical = '{"crv":"Ed25519","kty":"OKP","x":"' + b64(raw) + '"}'
    assert c.key_id(KEY.public_key()) == b64(hashlib.sha256(canonical.encode()).digest())


def test_key_id_rfc8037_example() -> None:
    # RFC 8037 appendix A.1 private key and A.3 thumbprint.
    key = c.private_from_raw(
        base64.urlsafe_b64decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
    )
    assert c.okp_jwk(key.public_key())["x"] == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    assert c.key_id(key.public_key()) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


@pytest.mark.parametrize(
    "changes",
    [
        {"origin": ""},
        {"origin": "log\n42"},
        {"size": -1},
        {"size": True},
        {"root": "ab" * 32},
        {"root": b""},
        {"timestamp": "2026-11-23T04:00:00+07:00"},
        {"timestamp": "2026-11-23 04:00:00Z"},
        {"timestamp": "2026-13-23T04:00:00Z"},
        {"timestamp": "2026-11-23T04:00:00Z\n"},
    ],
)
def test_ambiguous_or_invalid_fields_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(CP, **changes)
