"""Forged, foreign and stale bearer tokens are refused over HTTP (security.md #7).

Every forged token is built by hand (base64url, json, hmac and a raw ECDSA signature
from `cryptography`), starting from the claims of a real access token, so these tests
do not depend on python-jose agreeing to produce them. A control test signs the
unmodified claims the same way and expects 200: each forgery then fails for exactly
the one thing it changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jose.backends
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jose.backends.cryptography_backend import CryptographyECKey

from crypto import jose_es256
from tests.conftest import People, Person
from vetting.accounts.tokens import ACCESS_TYP, AUDIENCE, ISSUER
from vetting.keys import RegistryKeys

ME = "/api/v1/auth/me"
ATTACKER_KEY = ec.generate_private_key(ec.SECP256R1())


# --------------------------------------------------------------------------- token building


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def compact(value: dict[str, Any]) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def token_of(person: Person) -> str:
    scheme, _, token = person.headers["Authorization"].partition(" ")
    assert scheme == "Bearer"
    return token


def claims_of(token: str) -> dict[str, Any]:
    """The (unverified) payload of a compact JWS."""
    payload: dict[str, Any] = json.loads(unb64(token.split(".")[1]))
    return payload


def es256(header: dict[str, Any], claims: dict[str, Any],
          key: ec.EllipticCurvePrivateKey) -> str:
    """A compact JWS with a raw r||s ES256 signature, any header we like."""
    signing_input = f"{compact(header)}.{compact(claims)}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{compact(header)}.{compact(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


@dataclass(frozen=True)
class Forge:
    """What a forgery starts from: a fresh copy of valid claims and the server's keys."""

    claims: dict[str, Any]
    keys: RegistryKeys
    refresh_token: str

    @property
    def header(self) -> dict[str, Any]:
        return {"alg": "ES256", "typ": ACCESS_TYP, "kid": self.keys.token_kid}

    def with_claims(self, **changes: Any) -> dict[str, Any]:
        """Valid claims with changes applied; a change to None removes the claim."""
        merged = {**self.claims, **changes}
        return {name: value for name, value in merged.items() if value is not None}

    def signed(self, header: dict[str, Any] | None = None, **changes: Any) -> str:
        """Signed with the server's own token key: only `header`/`changes` are wrong."""
        return es256(header or self.header, self.with_claims(**changes), self.keys.token_key)

    def public_key(self, encoding: serialization.Encoding,
                   fmt: serialization.PublicFormat) -> bytes:
        return self.keys.token_key.public_key().public_bytes(encoding, fmt)

    def hs256_with_public_key(self, encoding: serialization.Encoding,
                              fmt: serialization.PublicFormat) -> str:
        """CVE-2024-33663 style: HMAC keyed with the server's *public* key bytes."""
        header = {**self.header, "alg": "HS256"}
        return hs256(header, self.with_claims(), self.public_key(encoding, fmt))


def fresh_claims(person: Person) -> dict[str, Any]:
    """The person's real claims, re-dated to now so only the forgery's change is wrong."""
    now = int(time.time())
    return {**claims_of(token_of(person)), "iat": now, "nbf": now, "exp": now + 600,
            "jti": secrets.token_hex(8)}


PEM, DER, OPENSSH = (serialization.Encoding.PEM, serialization.Encoding.DER,
                     serialization.Encoding.OpenSSH)
SPKI, SSH = serialization.PublicFormat.SubjectPublicKeyInfo, serialization.PublicFormat.OpenSSH


def _alg_none(f: Forge, alg: str) -> str:
    return f"{compact({**f.header, 'alg': alg})}.{compact(f.with_claims())}."


def _alg_none_with_signature(f: Forge) -> str:
    """alg none, but the real ES256 signature kept: a verifier must not mix the two."""
    real = f.signed().split(".")[2]
    return f"{compact({**f.header, 'alg': 'none'})}.{compact(f.with_claims())}.{real}"


def _tampered_payload(f: Forge) -> str:
    """A real signature over other claims: the payload is swapped after signing."""
    header, _, signature = f.signed().split(".")
    return f"{header}.{compact(f.with_claims(sub='someone-else'))}.{signature}"


def _expired(f: Forge) -> str:
    now = int(time.time())
    return f.signed(iat=now - 1000, nbf=now - 1000, exp=now - 100)


def _expires_now(f: Forge) -> str:
    now = int(time.time())
    return f.signed(iat=now - 900, nbf=now - 900, exp=now - 1)


def _not_yet_valid(f: Forge) -> str:
    now = int(time.time())
    return f.signed(iat=now + 600, nbf=now + 600, exp=now + 1200)


def _no_typ(f: Forge) -> str:
    return f.signed(header={"alg": "ES256", "kid": f.keys.token_kid})


def _embedded_attacker_jwk(f: Forge) -> str:
    """The attacker's key inside the header (jwk/jku injection) with the server's kid."""
    header = {**f.header, "jwk": jose_es256.public_jwk(ATTACKER_KEY.public_key()),
              "jku": "https://attacker.example/jwks.json"}
    return es256(header, f.with_claims(), ATTACKER_KEY)


def _crit_header(f: Forge) -> str:
    return f.signed(header={**f.header, "crit": ["exp"]})


def _zero_signature(f: Forge) -> str:
    """CVE-2022-21449 ("psychic signatures"): r = s = 0."""
    header, payload, _ = f.signed().split(".")
    return f"{header}.{payload}.{b64(bytes(64))}"


def _der_signature(f: Forge) -> str:
    """A DER-encoded ECDSA signature is not a JWS ES256 signature."""
    signing_input = f"{compact(f.header)}.{compact(f.with_claims())}"
    der = f.keys.token_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    return f"{signing_input}.{b64(der)}"


def _padded(f: Forge) -> str:
    """Base64 padding makes a second spelling of the same signed bytes."""
    header, payload, signature = f.signed().split(".")
    return f"{header}.{payload}.{signature}=="


#: name -> builder of a bearer token that must be refused with 401.
FORGERIES: dict[str, Callable[[Forge], str]] = {
    "alg none": lambda f: _alg_none(f, "none"),
    "alg None": lambda f: _alg_none(f, "None"),
    "alg NONE": lambda f: _alg_none(f, "NONE"),
    "alg none with the real signature": _alg_none_with_signature,
    "HS256 keyed with the public key as PEM": lambda f: f.hs256_with_public_key(PEM, SPKI),
    "HS256 keyed with the public key as DER": lambda f: f.hs256_with_public_key(DER, SPKI),
    "HS256 keyed with the public key as OpenSSH":
        lambda f: f.hs256_with_public_key(OPENSSH, SSH),
    "HS256 keyed with the JWK JSON": lambda f: hs256(
        {**f.header, "alg": "HS256"}, f.with_claims(),
        json.dumps(jose_es256.public_jwk(f.keys.token_key.public_key())).encode()),
    "ES384 header on an ES256 signature": lambda f: f.signed(header={**f.header,
                                                                     "alg": "ES384"}),
    "expired": _expired,
    "expired a second ago": _expires_now,
    "not yet valid": _not_yet_valid,
    "wrong aud": lambda f: f.signed(aud="kt1-other-service"),
    "aud missing": lambda f: f.signed(aud=None),
    "aud list without ours": lambda f: f.signed(aud=["kt1-web", "kt1-other"]),
    "wrong iss": lambda f: f.signed(iss="https://attacker.example"),
    "iss missing": lambda f: f.signed(iss=None),
    "typ JWT": lambda f: f.signed(header={**f.header, "typ": "JWT"}),
    "typ vc+jwt": lambda f: f.signed(header={**f.header, "typ": "vc+jwt"}),
    "typ missing": _no_typ,
    "no exp": lambda f: f.signed(exp=None),
    "exp as a string": lambda f: f.signed(exp=str(int(time.time()) + 600)),
    "no iat": lambda f: f.signed(iat=None),
    "no sub": lambda f: f.signed(sub=None),
    "sub of no account": lambda f: f.signed(sub="0" * 32),
    "no ver": lambda f: f.signed(ver=None),
    "stale ver": lambda f: f.signed(ver=f.claims["ver"] - 1),
    "future ver": lambda f: f.signed(ver=f.claims["ver"] + 1),
    "unknown kid": lambda f: f.signed(header={**f.header, "kid": "not-a-known-kid"}),
    "no kid": lambda f: f.signed(header={"alg": "ES256", "typ": ACCESS_TYP}),
    "another EC key with the right kid": lambda f: es256(f.header, f.with_claims(),
                                                         ATTACKER_KEY),
    "attacker jwk and jku in the header": _embedded_attacker_jwk,
    "crit header": _crit_header,
    "tampered payload": _tampered_payload,
    "zero signature": _zero_signature,
    "DER signature": _der_signature,
    "padded base64": _padded,
    "refresh token used as a bearer": lambda f: f.refresh_token,
    "garbage": lambda f: "garbage",
    "three garbage segments": lambda f: "a.b.c",
    "empty segments": lambda f: "..",
    "header only": lambda f: compact(f.header),
    "oversized": lambda f: "a" * 70_000,
}


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 401
    assert body["code"] in ("INVALID_TOKEN", "TOKEN_REQUIRED")
    assert response.headers["www-authenticate"].lower().startswith("bearer")
    assert "id" not in body  # nothing of the account behind the token leaks


@pytest.fixture
async def forge(client: httpx.AsyncClient, people: People, keys: RegistryKeys) -> Forge:
    person = await people.make("post_hr", unit="POST-51")
    login = await client.post("/api/v1/auth/login",
                              json={"username": person.username, "password": person.password})
    assert login.status_code == 200, login.text
    return Forge(claims=fresh_claims(person), keys=keys,
                 refresh_token=login.json()["refresh_token"])


# --------------------------------------------------------------------------- tests


def test_jose_uses_the_cryptography_backend() -> None:
    assert jose.backends.ECKey is CryptographyECKey
    assert jose_es256.backend_name() == "CryptographyECKey"


async def test_issued_token_works(client: httpx.AsyncClient, people: People) -> None:
    person = await people.make("post_hr", unit="POST-51")
    response = await client.get(ME, headers=person.headers)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == person.id
    token = token_of(person)
    header = json.loads(unb64(token.split(".")[0]))
    assert header == {"alg": "ES256", "typ": ACCESS_TYP, "kid": header["kid"]}
    claims = claims_of(token)
    assert claims["iss"] == ISSUER and claims["aud"] == AUDIENCE
    assert 0 < claims["exp"] - claims["iat"] <= 15 * 60


async def test_hand_built_token_is_accepted(client: httpx.AsyncClient, forge: Forge) -> None:
    """The control for every forgery below: unchanged claims, signed by the server key."""
    response = await client.get(ME, headers={"Authorization": f"Bearer {forge.signed()}"})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == forge.claims["sub"]


@pytest.mark.parametrize("name", list(FORGERIES))
async def test_forged_token_is_refused(client: httpx.AsyncClient, forge: Forge,
                                       name: str) -> None:
    token = FORGERIES[name](forge)
    response = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert_unauthorized(response)


@pytest.mark.parametrize("header", [
    "{token}",                # no scheme at all
    "Basic {token}",
    "Token {token}",
    "JWT {token}",
    "Bearer",
    "Bearer ",
    "",
], ids=["no-scheme", "basic", "token", "jwt", "bearer-only", "bearer-space", "empty"])
async def test_bearer_scheme_is_required(client: httpx.AsyncClient, people: People,
                                         header: str) -> None:
    person = await people.make("post_hr", unit="POST-51")
    value = header.format(token=token_of(person))
    response = await client.get(ME, headers={"Authorization": value} if value else {})
    assert_unauthorized(response)
    assert (await client.get(ME, headers=person.headers)).status_code == 200


async def test_token_in_the_url_is_not_accepted(client: httpx.AsyncClient,
                                                people: People) -> None:
    person = await people.make("post_hr", unit="POST-51")
    response = await client.get(ME, params={"access_token": token_of(person)})
    assert_unauthorized(response)


async def test_access_token_is_not_a_refresh_token(client: httpx.AsyncClient,
                                                   people: People) -> None:
    person = await people.make("post_hr", unit="POST-51")
    response = await client.post("/api/v1/auth/refresh",
                                 json={"refresh_token": token_of(person)[:200]})
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_REFRESH_TOKEN"
