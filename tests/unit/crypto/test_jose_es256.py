"""ES256 token tests: round trip, RFC 7638 kid, and a suite of forged tokens.

Forged tokens are built by hand (hmac/hashlib/json) so the tests do not depend
on python-jose refusing to produce them.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import jose.backends
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jws as jose_jws
from jose.backends.cryptography_backend import CryptographyECKey

from crypto import jose_es256 as j
from crypto.jose_es256 import TokenError

NOW = 1_800_000_000.0
TYP = "kt1-session+jwt"
AUD = "kt1-registry"
ISS = "https://kt1.example.vn"

KEY_A = j.generate_key()
KEY_B = j.generate_key()
ATTACKER = j.generate_key()
KID_A = j.key_id(KEY_A.public_key())
KID_B = j.key_id(KEY_B.public_key())
KEYS = {KID_A: j.public_jwk(KEY_A.public_key()), KID_B: j.public_jwk(KEY_B.public_key())}


def b64(data: bytes) -> str:
    """Independent base64url without padding."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def claims(**changes: Any) -> dict[str, Any]:
    """Valid claims at NOW; a change to None removes the claim."""
    base: dict[str, Any] = {
        "iss": ISS,
        "sub": "officer-0042",
        "aud": AUD,
        "iat": int(NOW),
        "exp": int(NOW) + 300,
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def token(
    key: ec.EllipticCurvePrivateKey = KEY_A, kid: str = KID_A, typ: str = TYP, **changes: Any
) -> str:
    return j.sign(claims(**changes), key, kid=kid, typ=typ)


def check(tok: str, **kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"typ": TYP, "audience": AUD, "issuer": ISS, "now": NOW}
    options.update(kwargs)
    return j.verify(tok, KEYS, **options)


def reason_of(tok: str, **kwargs: Any) -> str:
    with pytest.raises(TokenError) as info:
        check(tok, **kwargs)
    return info.value.reason


def hs256(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


# --------------------------------------------------------------------------- round trip


def test_round_trip() -> None:
    assert check(token()) == claims()


def test_header_is_exactly_alg_typ_kid() -> None:
    tok = token()
    assert json.loads(unb64(tok.split(".")[0])) == {"alg": "ES256", "typ": TYP, "kid": KID_A}
    assert j.read_header(tok) == {"alg": "ES256", "typ": TYP, "kid": KID_A}


def test_pkcs8_round_trip_keeps_the_key() -> None:
    der = j.private_to_pkcs8(KEY_A)
    loaded = j.private_from_pkcs8(der)
    assert loaded.private_numbers() == KEY_A.private_numbers()
    assert check(token(key=loaded)) == claims()


def test_pkcs8_refuses_other_curves() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    der = p384.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError):
        j.private_from_pkcs8(der)
    with pytest.raises(ValueError):
        j.sign(claims(), p384, kid=KID_A, typ=TYP)


def test_public_jwk_round_trip_and_members() -> None:
    jwk = j.public_jwk(KEY_A.public_key())
    assert set(jwk) == {"kty", "crv", "x", "y"}
    assert j.public_key_from_jwk(jwk).public_numbers() == KEY_A.public_key().public_numbers()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda k: {**k, "kty": "RSA"},
        lambda k: {**k, "crv": "P-384"},
        lambda k: {**k, "x": k["x"][:-2]},
        lambda k: {**k, "x": k["x"] + "="},
        lambda k: {**k, "y": k["x"]},  # almost surely not on the curve
        lambda k: {**k, "d": k["x"]},
        lambda k: {**k, "alg": "HS256"},
        lambda k: {key: v for key, v in k.items() if key != "y"},
    ],
)
def test_public_key_from_jwk_is_strict(mutate: Callable[[dict[str, str]], dict[str, str]]) -> None:
    with pytest.raises(ValueError):
        j.public_key_from_jwk(mutate(j.public_jwk(KEY_A.public_key())))


def test_sign_refuses_unserialisable_or_empty_values() -> None:
    with pytest.raises(ValueError):
        j.sign(claims(exp=float("nan")), KEY_A, kid=KID_A, typ=TYP)
    with pytest.raises(ValueError):
        j.sign(claims(), KEY_A, kid="", typ=TYP)


# --------------------------------------------------------------------------- kid / RFC 7638


def test_kid_is_rfc7638_thumbprint_computed_independently() -> None:
    numbers = KEY_A.public_key().public_numbers()
    x = b64(numbers.x.to_bytes(32, "big"))
    y = b64(numbers.y.to_bytes(32, "big"))
    canonical = '{"crv":"P-256","kty":"EC","x":"' + x + '","y":"' + y + '"}'
    expected = b64(hashlib.sha256(canonical.encode()).digest())
    assert KID_A == expected
    assert j.thumbprint({"y": y, "x": x, "kty": "EC", "crv": "P-256", "use": "sig"}) == expected
    assert j.read_header(token())["kid"] == expected


def test_thumbprint_rfc7638_section_3_1_example() -> None:
    rfc_key = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6"
        "tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-6"
        "5YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyr"
        "dkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKn"
        "qDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert j.thumbprint(rfc_key) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


# --------------------------------------------------------------------------- backend


def test_backend_is_cryptography() -> None:
    assert j.backend_name() == "CryptographyECKey"
    assert jose.backends.ECKey is CryptographyECKey


# --------------------------------------------------------------------------- forged tokens


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(alg: str) -> None:
    header = {"alg": alg, "typ": TYP, "kid": KID_A}
    unsigned = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}."
    assert reason_of(unsigned) == "bad_alg"


def _public_key_forms() -> dict[str, bytes]:
    public = KEY_A.public_key()
    numbers = public.public_numbers()
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return {
        "pem": public.public_bytes(serialization.Encoding.PEM, spki),
        "der": public.public_bytes(serialization.Encoding.DER, spki),
        "openssh": public.public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        ),
        "raw_xy": numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big"),
        "x962": public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        ),
        "jwk_json": json.dumps(KEYS[KID_A]).encode(),
    }


@pytest.mark.parametrize("form", sorted(_public_key_forms()))
def test_hs256_signed_with_public_key_is_refused(form: str) -> None:
    secret = _public_key_forms()[form]
    forged = hs256({"alg": "HS256", "typ": TYP, "kid": KID_A}, claims(), secret)
    assert reason_of(forged) == "bad_alg"
    claims_out, reasons = j.verify_all(forged, KEYS, typ=TYP, now=NOW)
    assert claims_out is None
    assert "bad_alg" in reasons


@pytest.mark.parametrize(
    "alg", ["es256", "ES256 ", "ES384", "ES512", "RS256", "PS256", "EdDSA", ["ES256"], None]
)
def test_other_alg_values_are_refused(alg: object) -> None:
    header = {"alg": alg, "typ": TYP, "kid": KID_A}
    good = token().split(".")
    forged = f"{b64(json.dumps(header).encode())}.{good[1]}.{good[2]}"
    assert reason_of(forged) == "bad_alg"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": int(NOW) - 1}, "expired"),
        ({"exp": int(NOW)}, "expired"),  # RFC 7519: valid only *before* exp
        ({"nbf": int(NOW) + 10}, "not_yet_valid"),
        ({"iat": int(NOW) + 10}, "not_yet_valid"),
        ({"aud": "another-service"}, "bad_audience"),
        ({"aud": ["another-service", "third"]}, "bad_audience"),
        ({"iss": "https://evil.example"}, "bad_issuer"),
        ({"exp": None}, "missing_claim"),
        ({"aud": None}, "missing_claim"),
        ({"iat": None}, "missing_claim"),
        ({"iss": None}, "missing_claim"),
        ({"sub": None}, "missing_claim"),
        ({"exp": "tomorrow"}, "malformed"),
        ({"aud": 7}, "malformed"),
        ({"validUntil": "2020-01-01T00:00:00Z"}, "expired"),
    ],
)
def test_claim_failures(changes: dict[str, Any], reason: str) -> None:
    assert reason_of(token(**changes)) == reason


def test_audience_list_and_leeway_are_honoured() -> None:
    assert check(token(aud=["x", AUD]))["aud"] == ["x", AUD]
    assert check(token(exp=int(NOW) - 5), leeway=10)["sub"] == "officer-0042"
    assert check(token(nbf=int(NOW) + 5), leeway=10)["sub"] == "officer-0042"


def test_missing_aud_fails_even_when_not_required_but_audience_given() -> None:
    assert reason_of(token(aud=None), required=("exp",)) == "bad_audience"


@pytest.mark.parametrize("bad_typ", ["JWT", "kt1-session+JWT", "", None])
def test_wrong_typ_is_refused(bad_typ: str | None) -> None:
    header = {"alg": "ES256", "kid": KID_A} | ({} if bad_typ is None else {"typ": bad_typ})
    good = token().split(".")
    forged = f"{b64(json.dumps(header).encode())}.{good[1]}.{good[2]}"
    assert reason_of(forged) == "bad_typ"
    assert reason_of(token(typ="kt1-refresh+jwt")) == "bad_typ"


def test_unknown_or_missing_kid_is_refused() -> None:
    assert reason_of(token(kid="no-such-kid")) == "unknown_kid"
    assert reason_of(token(kid=j.key_id(ATTACKER.public_key()), key=ATTACKER)) == "unknown_kid"
    for header in ({"alg": "ES256", "typ": TYP}, {"alg": "ES256", "typ": TYP, "kid": ["x"]}):
        good = token().split(".")
        forged = f"{b64(json.dumps(header).encode())}.{good[1]}.{good[2]}"
        assert reason_of(forged) == "unknown_kid"


def test_kid_of_another_known_key_fails_the_signature() -> None:
    assert reason_of(token(key=KEY_A, kid=KID_B)) == "bad_signature"


def test_token_signed_by_another_key_is_refused() -> None:
    assert reason_of(token(key=ATTACKER, kid=KID_A)) == "bad_signature"


def _flip(segment: str, index: int) -> str:
    data = bytearray(unb64(segment))
    data[index] ^= 0x01
    return b64(bytes(data))


def test_one_byte_changed_in_header_is_refused() -> None:
    h, p, s = token().split(".")
    for index in range(len(unb64(h))):
        with pytest.raises(TokenError):
            check(f"{_flip(h, index)}.{p}.{s}")


def test_one_byte_changed_in_payload_fails_signature() -> None:
    h, p, s = token().split(".")
    raw = unb64(p)
    index = raw.index(b"officer-0042")  # stays valid JSON, so only the signature can catch it
    assert reason_of(f"{h}.{_flip(p, index)}.{s}") == "bad_signature"
    for index in range(len(raw)):
        with pytest.raises(TokenError):
            check(f"{h}.{_flip(p, index)}.{s}")


def test_one_byte_changed_in_signature_fails() -> None:
    h, p, s = token().split(".")
    for index in range(64):
        assert reason_of(f"{h}.{p}.{_flip(s, index)}") == "bad_signature"


def test_every_single_character_change_is_refused() -> None:
    tok = token()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for index, char in enumerate(tok):
        if char == ".":
            continue
        replacement = alphabet[(alphabet.index(char) + 1) % len(alphabet)]
        with pytest.raises(TokenError):
            check(tok[:index] + replacement + tok[index + 1 :])


def test_non_canonical_signature_encoding_is_refused() -> None:
    h, p, s = token().split(".")
    # 64 bytes -> 86 chars; the last char carries 4 unused bits. Setting one keeps
    # the decoded bytes identical, which a lenient decoder would accept.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = s[:-1] + alphabet[alphabet.index(s[-1]) ^ 0x01]
    assert twin != s and unb64(twin) == unb64(s)
    assert reason_of(f"{h}.{p}.{twin}") == "malformed"
    assert reason_of(f"{h}.{p}.{s}=") == "malformed"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!.???.***",
        "e30.e30.",  # {} header
        b64(b"[1]") + ".e30.",
        b64(b'{"alg":"ES256","alg":"ES256","typ":"' + TYP.encode() + b'"}') + ".e30.",
        b64(json.dumps({"alg": "ES256", "typ": TYP, "kid": KID_A, "crit": ["b64"]}).encode())
        + ".e30.",
        "x" * (j.MAX_TOKEN_CHARS + 1),
    ],
)
def test_malformed_tokens(bad: str) -> None:
    with pytest.raises(TokenError) as info:
        check(bad)
    assert info.value.reason in {"malformed", "bad_alg"}
    assert j.verify_all(bad, KEYS, typ=TYP, now=NOW)[0] is None


def test_non_string_token_is_malformed() -> None:
    assert reason_of(None) == "malformed"  # type: ignore[arg-type]
    with pytest.raises(TokenError):
        j.read_header("not a token")


def test_signed_payload_that_is_not_an_object_is_malformed() -> None:
    pem = KEY_A.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tok = jose_jws.sign(b"[1,2]", pem, headers={"typ": TYP, "kid": KID_A}, algorithm="ES256")
    assert reason_of(tok) == "malformed"


@pytest.mark.parametrize(
    "bad_jwk",
    [
        {**KEYS[KID_A], "d": KEYS[KID_A]["x"]},
        {**KEYS[KID_A], "crv": "P-384"},
        {"kty": "oct", "k": b64(b"secret")},
    ],
)
def test_misconfigured_key_fails_closed(bad_jwk: dict[str, str]) -> None:
    with pytest.raises(TokenError) as info:
        j.verify(token(), {KID_A: bad_jwk}, typ=TYP, now=NOW)
    assert info.value.reason == "bad_key"


# --------------------------------------------------------------------------- verify_all


def test_verify_all_accepts_a_good_token() -> None:
    assert j.verify_all(token(), KEYS, typ=TYP, now=NOW) == (claims(), [])


def test_verify_all_lists_several_reasons_with_good_signature() -> None:
    tok = token(typ="wrong+jwt", exp=int(NOW) - 1)
    claims_out, reasons = j.verify_all(tok, KEYS, typ=TYP, now=NOW)
    assert reasons == ["bad_typ", "expired"]
    assert claims_out == claims(exp=int(NOW) - 1)


def test_verify_all_returns_no_claims_when_signature_is_bad() -> None:
    tok = token(key=ATTACKER, kid=KID_A, typ="wrong+jwt", exp=int(NOW) - 1)
    assert j.verify_all(tok, KEYS, typ=TYP, now=NOW) == (None, ["bad_typ", "bad_signature"])


def test_verify_all_header_reasons_together() -> None:
    forged = hs256({"alg": "HS256", "typ": "JWT", "kid": "nope"}, claims(), b"k")
    assert j.verify_all(forged, KEYS, typ=TYP, now=NOW) == (
        None,
        ["bad_alg", "bad_typ", "unknown_kid"],
    )


def test_verify_all_uses_vc_validity_claims() -> None:
    def vc(**changes: Any) -> str:
        return token(exp=None, iat=None, **changes)

    window = {"validFrom": "2027-01-01T00:00:00Z", "validUntil": "2027-12-31T23:59:59Z"}
    assert j.verify_all(vc(**window), KEYS, typ=TYP, now=NOW)[1] == []  # NOW is 2027-01-15
    late = {**window, "validUntil": "2027-01-10T00:00:00+07:00"}
    assert j.verify_all(vc(**late), KEYS, typ=TYP, now=NOW)[1] == ["expired"]
    early = {**window, "validFrom": "2027-02-01T00:00:00Z"}
    assert j.verify_all(vc(**early), KEYS, typ=TYP, now=NOW)[1] == ["not_yet_valid"]
    both = {"validFrom": "2027-02-01T00:00:00Z", "validUntil": "2027-01-10T00:00:00Z"}
    assert j.verify_all(vc(**both), KEYS, typ=TYP, now=NOW)[1] == ["expired", "not_yet_valid"]
    garbled = {"validFrom": "yesterday", "validUntil": "2027-12-31"}
    assert j.verify_all(vc(**garbled), KEYS, typ=TYP, now=NOW)[1] == ["malformed"]


def test_verify_all_falls_back_to_nbf_exp() -> None:
    tok = token(nbf=int(NOW) + 60, exp=int(NOW) - 60)
    assert j.verify_all(tok, KEYS, typ=TYP, now=NOW)[1] == ["expired", "not_yet_valid"]


def test_verify_all_malformed_token() -> None:
    assert j.verify_all("garbage", KEYS, typ=TYP, now=NOW) == (None, ["malformed"])
