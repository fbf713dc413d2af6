"""ES256 compact JWS for the registry's session tokens and credentials.

python-jose 3.5.0 is easy to misuse: without ``algorithms=`` it verifies an HS256
token whose HMAC secret is the server's own *public* key (CVE-2024-33663 family),
it lets a token without ``exp`` through, and ``audience=`` alone accepts a token
with no ``aud``.  So this module never lets jose choose anything: it checks the
header itself (alg exactly ``ES256``, exact ``typ``, known ``kid``), binds every
verification key to ES256 with ``jwk.construct(..., algorithm="ES256")``, passes
``algorithms=["ES256"]`` to the one jose verification call, and does every claim
and time check itself (so ``now`` is injectable).  JWE is never used.

Segments are decoded with a strict base64url decoder (canonical, no padding) so
that two different strings can never carry the same signed bytes.
"""

import base64
import binascii
import hashlib
import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Final, NoReturn

import jose.backends
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk as jose_jwk
from jose import jws as jose_jws
from jose.backends.cryptography_backend import CryptographyECKey
from jose.exceptions import JOSEError

# python-jose silently falls back to the pure-Python ``ecdsa`` package when the
# cryptography backend cannot be imported; refuse to run on that fallback.
if jose.backends.ECKey is not CryptographyECKey:  # pragma: no cover - environment guard
    raise ImportError("python-jose is not using the cryptography EC backend")

ALG: Final = "ES256"
DEFAULT_REQUIRED: Final[tuple[str, ...]] = ("exp", "iat", "aud", "iss", "sub")
MAX_TOKEN_CHARS: Final = 64 * 1024
"""Tokens longer than this are rejected before any parsing (cheap DoS guard)."""

_COORD_BYTES: Final = 32
_SIG_BYTES: Final = 2 * _COORD_BYTES
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_RFC3339: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
# RFC 7638 section 3.2: the required members per key type, used for thumbprints.
_THUMBPRINT_MEMBERS: Final[Mapping[str, tuple[str, ...]]] = {
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
    "RSA": ("e", "kty", "n"),
    "oct": ("k", "kty"),
}


class TokenError(Exception):
    """A token was refused; ``reason`` is a stable machine code for callers and logs.

    Codes: malformed, bad_alg, bad_typ, unknown_kid, bad_key, bad_signature,
    missing_claim, expired, not_yet_valid, bad_audience, bad_issuer.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


# --------------------------------------------------------------------------- base64url


def b64url_encode(data: bytes) -> str:
    """Encode as base64url without padding, the only form JOSE allows."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: object) -> bytes:
    """Decode canonical unpadded base64url, raising ValueError on anything else.

    The stdlib decoder skips stray characters and ignores non-zero trailing bits,
    which would let many strings map to one signature; we only accept the single
    canonical spelling.
    """
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not canonical base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not canonical base64url") from exc
    if b64url_encode(data) != text:
        raise ValueError("not canonical base64url")
    return data


# --------------------------------------------------------------------------- keys


def generate_key() -> ec.EllipticCurvePrivateKey:
    """Make a fresh P-256 signing key (the only curve ES256 allows)."""
    return ec.generate_private_key(ec.SECP256R1())


def private_to_pkcs8(key: ec.EllipticCurvePrivateKey) -> bytes:
    """Serialise a signing key as unencrypted PKCS#8 DER for the key store."""
    _require_p256(key)
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_from_pkcs8(der: bytes) -> ec.EllipticCurvePrivateKey:
    """Load a PKCS#8 DER signing key, refusing anything but a P-256 EC key."""
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("not an EC private key")
    _require_p256(key)
    return key


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """Public JWK with exactly kty, crv, x, y, so nothing else can leak or vary."""
    _require_p256(public_key)
    numbers = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url_encode(numbers.x.to_bytes(_COORD_BYTES, "big")),
        "y": b64url_encode(numbers.y.to_bytes(_COORD_BYTES, "big")),
    }


def public_key_from_jwk(jwk: Mapping[str, str]) -> ec.EllipticCurvePublicKey:
    """Parse a P-256 public JWK strictly, raising ValueError on anything unexpected.

    Private members are refused (a verifier key set must never hold them) and
    ``alg``/``use``, when present, must agree with ES256 signatures.
    """
    if not isinstance(jwk, Mapping):
        raise ValueError("JWK must be a mapping")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("JWK is not an EC P-256 key")
    if "d" in jwk:
        raise ValueError("JWK holds private key material")
    if jwk.get("alg", ALG) != ALG or jwk.get("use", "sig") != "sig":
        raise ValueError("JWK is not meant for ES256 signatures")
    x = b64url_decode(jwk.get("x"))
    y = b64url_decode(jwk.get("y"))
    if len(x) != _COORD_BYTES or len(y) != _COORD_BYTES:
        raise ValueError("JWK coordinates must be 32 bytes")
    numbers = ec.EllipticCurvePublicNumbers(
        int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
    )
    return numbers.public_key()  # raises ValueError when the point is not on the curve


def thumbprint(jwk: Mapping[str, str]) -> str:
    """RFC 7638 JWK thumbprint: SHA-256 of the required members, sorted, no whitespace.

    Used as the ``kid`` so a key id can always be recomputed from the key itself.
    """
    kty = jwk.get("kty")
    members = _THUMBPRINT_MEMBERS.get(kty) if isinstance(kty, str) else None
    if members is None:
        raise ValueError(f"unsupported kty for thumbprint: {kty!r}")
    required: dict[str, str] = {}
    for name in members:
        value = jwk.get(name)
        if not isinstance(value, str) or not value:
            raise ValueError(f"JWK member {name!r} missing")
        required[name] = value
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """The ``kid`` for a key: the RFC 7638 thumbprint of its public JWK."""
    return thumbprint(public_jwk(public_key))


def backend_name() -> str:
    """Name of the key class jose uses for ES256, so tests can pin the backend."""
    return str(jose_jwk.get_key(ALG).__name__)


def _require_p256(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> None:
    """ES256 is defined only over P-256; any other curve is a configuration bug."""
    if not isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        raise TypeError("expected an EC key")
    if not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("ES256 needs a P-256 key")


# --------------------------------------------------------------------------- signing


def sign(claims: Mapping[str, Any], key: ec.EllipticCurvePrivateKey, *, kid: str, typ: str) -> str:
    """Sign ``claims`` as a compact JWS with header exactly {alg: ES256, typ, kid}."""
    _require_p256(key)
    if not isinstance(kid, str) or not kid or not isinstance(typ, str) or not typ:
        raise ValueError("kid and typ must be non-empty strings")
    if not all(isinstance(name, str) for name in claims):
        raise TypeError("claim names must be strings")
    payload = json.dumps(
        dict(claims), separators=(",", ":"), allow_nan=False, ensure_ascii=False
    ).encode("utf-8")
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    token = jose_jws.sign(payload, pem, headers={"typ": typ, "kid": kid}, algorithm=ALG)
    if read_header(token) != {"alg": ALG, "typ": typ, "kid": kid}:  # pragma: no cover
        raise RuntimeError("python-jose produced an unexpected header")
    return str(token)


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A compact JWS split and decoded, nothing verified yet."""

    header: dict[str, Any]
    payload: bytes
    signature: bytes
    signing_input: bytes  # the first two segments as sent: what the signature covers


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Duplicate JSON members are refused: parsers disagree on which one wins."""
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"duplicate member {name!r}")
        result[name] = value
    return result


def _refuse_constant(name: str) -> NoReturn:
    """NaN and Infinity are not JSON; refuse them rather than compare against them."""
    raise ValueError(f"non-standard JSON constant {name}")


def _json_object(data: bytes) -> dict[str, Any]:
    """Decode a UTF-8 JSON object strictly or raise TokenError('malformed')."""
    try:
        value = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_refuse_duplicates,
            parse_constant=_refuse_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise TokenError("malformed", "segment is not strict JSON") from exc
    if not isinstance(value, dict):
        raise TokenError("malformed", "segment is not a JSON object")
    return value


def _parse(token: object) -> _Parsed:
    """Split and strictly decode a compact JWS; every failure is 'malformed'."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise TokenError("malformed", "token must be a string of bounded length")
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed", "compact JWS needs three segments")
    try:
        header_bytes, payload, signature = (b64url_decode(part) for part in parts)
    except ValueError as exc:
        raise TokenError("malformed", "segment is not canonical base64url") from exc
    header = _json_object(header_bytes)
    if "crit" in header:
        # RFC 7515 4.1.11: we understand no extensions, so a critical one must fail.
        raise TokenError("malformed", "critical header extensions are not supported")
    return _Parsed(header, payload, signature, f"{parts[0]}.{parts[1]}".encode("ascii"))


def read_header(token: str) -> dict[str, Any]:
    """Unverified header, for routing only (e.g. picking a key set); never trust it."""
    return dict(_parse(token).header)


# --------------------------------------------------------------------------- verification steps


def _header_reasons(
    header: Mapping[str, Any], keys: Mapping[str, Mapping[str, str]], typ: str
) -> list[str]:
    """Header checks done before any crypto, in the fixed order alg, typ, kid."""
    reasons: list[str] = []
    alg = header.get("alg")
    if not isinstance(alg, str) or alg != ALG:
        reasons.append("bad_alg")
    header_typ = header.get("typ")
    if not isinstance(header_typ, str) or header_typ != typ:
        reasons.append("bad_typ")
    kid = header.get("kid")
    if not isinstance(kid, str) or kid not in keys:
        reasons.append("unknown_kid")
    return reasons


def _bound_key(jwk: Mapping[str, str]) -> CryptographyECKey:
    """A jose key object hard-wired to ES256 and backed by `cryptography` (built once per key:
    parsing the point costs about a fifth of a verification)."""
    members = tuple(sorted((str(k), str(v)) for k, v in jwk.items()))
    return _bound_key_cached(members)


@lru_cache(maxsize=256)
def _bound_key_cached(members: tuple[tuple[str, str], ...]) -> CryptographyECKey:
    jwk = dict(members)
    try:
        public = public_key_from_jwk(jwk)
        bound = jose_jwk.construct(public_jwk(public), algorithm=ALG)
    except (ValueError, TypeError, JOSEError) as exc:
        raise TokenError("bad_key", "configured verification key is invalid") from exc
    if not isinstance(bound, CryptographyECKey) or not bound.is_public():
        raise TokenError("bad_key", "verification key is not a cryptography ES256 public key")
    return bound


def _verified_claims(parsed: _Parsed, jwk: Mapping[str, str]) -> dict[str, Any]:
    """Check the ES256 signature over the segments `_parse` split (the token is parsed once:
    the bound key verifies the raw r||s signature itself), then decode the claims."""
    bound = _bound_key(jwk)
    if len(parsed.signature) != _SIG_BYTES:
        raise TokenError("bad_signature", "ES256 signatures are 64 bytes")
    if not bound.verify(parsed.signing_input, parsed.signature):
        raise TokenError("bad_signature")
    return _json_object(parsed.payload)


def _numeric_date(value: object) -> float | None:
    """RFC 7519 NumericDate, or None when it is not a finite JSON number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value  # ints stay exact: comparing a huge int with a float never overflows


def _rfc3339(value: object) -> float | None:
    """RFC 3339 date-time (offset required) as a POSIX timestamp, or None."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value.upper()).timestamp()
    except ValueError:
        return None


def _time_reasons(claims: Mapping[str, Any], now: float, leeway: int) -> list[str]:
    """Validity-window reasons from every time claim present.

    JWT ``exp``/``nbf``/``iat`` and VC ``validUntil``/``validFrom`` are all
    checked when present: a credential carrying both forms must satisfy both.
    ``exp`` is exclusive (RFC 7519: valid only *before* it); ``validUntil`` is
    inclusive; an ``iat`` in the future means the token is not valid yet.
    """
    reasons: list[str] = []
    expired = not_yet_valid = False
    for name, parse, kind in (
        ("exp", _numeric_date, "until_exclusive"),
        ("validUntil", _rfc3339, "until_inclusive"),
        ("nbf", _numeric_date, "from"),
        ("iat", _numeric_date, "from"),
        ("validFrom", _rfc3339, "from"),
    ):
        if name not in claims:
            continue
        bound = parse(claims[name])
        if bound is None:
            reasons.append("malformed")
        elif kind == "until_exclusive":
            expired |= now - leeway >= bound
        elif kind == "until_inclusive":
            expired |= now - leeway > bound
        else:
            not_yet_valid |= now + leeway < bound
    if expired:
        reasons.append("expired")
    if not_yet_valid:
        reasons.append("not_yet_valid")
    return list(dict.fromkeys(reasons))


def _claim_type_reasons(claims: Mapping[str, Any]) -> list[str]:
    """Registered string claims must have their registered JSON types."""
    aud = claims.get("aud")
    bad_aud = aud is not None and not (
        isinstance(aud, str) or (isinstance(aud, list) and all(isinstance(a, str) for a in aud))
    )
    bad_str = any(
        name in claims and not isinstance(claims[name], str) for name in ("iss", "sub", "jti")
    )
    return ["malformed"] if bad_aud or bad_str else []


# --------------------------------------------------------------------------- public verifiers


def verify(
    token: str,
    keys: Mapping[str, Mapping[str, str]],
    *,
    typ: str,
    audience: str | None = None,
    issuer: str | None = None,
    required: Sequence[str] = DEFAULT_REQUIRED,
    now: float | None = None,
    leeway: int = 0,
) -> dict[str, Any]:
    """Verify an ES256 token and return its claims, or raise TokenError with a reason.

    ``keys`` maps kid to public JWK.  Checks run in a fixed order (header,
    signature, required claims, time, audience, issuer) so the first reason is
    stable.  Pass ``audience`` and ``issuer``: they are only checked when given.
    """
    parsed = _parse(token)
    reasons = _header_reasons(parsed.header, keys, typ)
    if reasons:
        raise TokenError(reasons[0])
    claims = _verified_claims(parsed, keys[parsed.header["kid"]])
    missing = [name for name in required if claims.get(name) is None]
    if missing:
        raise TokenError("missing_claim", ", ".join(missing))
    when = time.time() if now is None else now
    reasons = _claim_type_reasons(claims) + _time_reasons(claims, when, leeway)
    if reasons:
        raise TokenError(reasons[0])
    if audience is not None:
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud or []
        if audience not in audiences:
            raise TokenError("bad_audience")
    if issuer is not None and claims.get("iss") != issuer:
        raise TokenError("bad_issuer")
    return claims


@dataclass(frozen=True, slots=True)
class Checked:
    """What `check_all` found: the claims (only when the signature is good), every failing
    reason, and the key that verified it."""

    claims: dict[str, Any] | None
    reasons: list[str]
    kid: str | None = None


def check_all(
    token: str,
    keys: Mapping[str, Mapping[str, str]],
    *,
    typ: str,
    now: float | None = None,
    leeway: int = 0,
) -> Checked:
    """Check a credential and report *every* failing reason, for an auditable answer; the
    token is split and decoded once.

    Claims are returned only when the signature is good, possibly together with reasons, so
    accept only when ``reasons`` is empty.  The signature is not attempted when alg is not
    ES256 or the kid is unknown (those reasons already say why it cannot be trusted).
    """
    try:
        parsed = _parse(token)
    except TokenError as exc:
        return Checked(None, [exc.reason])
    reasons = _header_reasons(parsed.header, keys, typ)
    if "bad_alg" in reasons or "unknown_kid" in reasons:
        return Checked(None, reasons)
    kid = parsed.header["kid"]
    try:
        claims = _verified_claims(parsed, keys[kid])
    except TokenError as exc:
        return Checked(None, [*reasons, exc.reason], kid)
    when = time.time() if now is None else now
    reasons += _time_reasons(claims, when, leeway)
    return Checked(claims, list(dict.fromkeys(reasons)), kid)


def verify_all(
    token: str,
    keys: Mapping[str, Mapping[str, str]],
    *,
    typ: str,
    now: float | None = None,
    leeway: int = 0,
) -> tuple[dict[str, Any] | None, list[str]]:
    """`check_all` as ``(claims, reasons)``."""
    checked = check_all(token, keys, typ=typ, now=now, leeway=leeway)
    return checked.claims, checked.reasons
