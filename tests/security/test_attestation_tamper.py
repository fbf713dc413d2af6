"""Forged and altered attestations: each is refused, by the API and by `verify_attestation`,
with the reason named (and every reason when several apply)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from crypto import jose_es256
from tests.api.test_attestations import (
    Cast,
    Isolated,
    Issued,
    b64d,
    b64e,
    change,
    claims_of,
    header_of,
    isolated_registry,
    issue,
    make_cast,
    published_bits,
    published_keys,
)
from tests.conftest import People
from vetting.attestations import unit_keys
from vetting.attestations.verification import verify_attestation
from vetting.keys import RegistryKeys
from vetting.models import SigningKey
from vetting.principal import SYSTEM, Context
from vetting.settings import Settings


def at(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unit_key(keys: RegistryKeys, unit: str, kid: str) -> ec.EllipticCurvePrivateKey:
    material = keys.store.load(f"units/{unit}/{kid}")
    assert material is not None, f"no wrapped key units/{unit}/{kid}"
    return jose_es256.private_from_pkcs8(material)


def resign(claims: dict[str, Any], key: ec.EllipticCurvePrivateKey, kid: str) -> str:
    return jose_es256.sign(claims, key, kid=kid, typ="vc+jwt")


def with_segment(token: str, position: int, value: str) -> str:
    parts = token.split(".")
    parts[position] = value
    return ".".join(parts)


def flip_char(segment: str, index: int) -> str:
    """One base64url character replaced by another (not the last: its low bits are padding)."""
    assert 0 <= index < len(segment) - 1
    replacement = "A" if segment[index] != "A" else "B"
    return segment[:index] + replacement + segment[index + 1:]


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join((b64e(json.dumps(header, separators=(",", ":")).encode()),
                     b64e(json.dumps(claims, separators=(",", ":")).encode()),
                     b64e(signature)))


def hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    head = b64e(json.dumps(header, separators=(",", ":")).encode())
    body = b64e(json.dumps(claims, separators=(",", ":")).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64e(mac)}"


async def refused(client: httpx.AsyncClient, who: Any, token: str,
                  expected: list[str]) -> dict[str, Any]:
    """The API and the library both refuse `token` with exactly the `expected` reasons."""
    response = await client.post("/api/v1/attestations/verify", json={"jws": token},
                                 headers=who.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert answer["valid"] is False, answer
    assert sorted(answer["reasons"]) == sorted(expected), answer["reasons"]
    direct = verify_attestation(token, await published_keys(client),
                                status_lists=await published_bits(client), now=time.time())
    assert direct.valid is False
    assert sorted(direct.reasons) == sorted(expected), direct.reasons
    return answer


async def accepted(client: httpx.AsyncClient, who: Any, token: str) -> None:
    response = await client.post("/api/v1/attestations/verify", json={"jws": token},
                                 headers=who.headers)
    assert response.status_code == 200, response.text
    assert response.json()["valid"] is True, response.json()
    direct = verify_attestation(token, await published_keys(client),
                                status_lists=await published_bits(client), now=time.time())
    assert direct.valid is True and direct.reasons == []


@pytest.fixture
async def cast(people: People) -> Cast:
    return await make_cast(people)


@pytest.fixture
async def issued(client: httpx.AsyncClient, cast: Cast) -> Issued:
    return await issue(client, cast)


@pytest.fixture
async def isolated(fresh_settings: Settings) -> AsyncIterator[Isolated]:
    async with isolated_registry(fresh_settings) as registry:
        yield registry


# --------------------------------------------------------------------------- altered bytes


async def test_untouched_attestation_is_valid(client: httpx.AsyncClient, cast: Cast,
                                              issued: Issued) -> None:
    await accepted(client, cast.officer, issued.jws)


async def test_one_byte_changed_in_the_header(client: httpx.AsyncClient, cast: Cast,
                                              issued: Issued) -> None:
    raw = b64d(issued.jws.split(".")[0])
    # typ "vc+jwt" -> "vc+jwT": the header is signed too
    position = raw.index(b"vc+jwt") + 5
    changed = raw[:position] + b"T" + raw[position + 1:]
    await refused(client, cast.officer, with_segment(issued.jws, 0, b64e(changed)),
                  ["bad_typ", "bad_signature"])
    # one character of the kid: no such key
    position = raw.index(issued.kid.encode()) + 3
    other = b"A" if raw[position:position + 1] != b"A" else b"B"
    changed = raw[:position] + other + raw[position + 1:]
    await refused(client, cast.officer, with_segment(issued.jws, 0, b64e(changed)),
                  ["unknown_kid"])
    # one base64url character of the encoded header: never accepted
    head = issued.jws.split(".")[0]
    for index in (1, len(head) // 2, len(head) - 2):
        response = await client.post("/api/v1/attestations/verify", headers=cast.hr.headers,
                                     json={"jws": with_segment(issued.jws, 0,
                                                               flip_char(head, index))})
        assert response.json()["valid"] is False and response.json()["reasons"]


async def test_one_byte_changed_in_the_payload(client: httpx.AsyncClient, cast: Cast,
                                               issued: Issued) -> None:
    raw = b64d(issued.jws.split(".")[1])
    # the outcome text, kept valid JSON and the same length
    position = raw.index(b"meets_standard")
    changed = raw[:position] + b"M" + raw[position + 1:]
    await refused(client, cast.officer, with_segment(issued.jws, 1, b64e(changed)),
                  ["bad_signature"])
    payload = issued.jws.split(".")[1]
    await refused(client, cast.officer,
                  with_segment(issued.jws, 1, flip_char(payload, len(payload) // 2)),
                  ["bad_signature"])


async def test_one_byte_changed_in_the_signature(client: httpx.AsyncClient, cast: Cast,
                                                 issued: Issued) -> None:
    signature = issued.jws.split(".")[2]
    for index in (0, len(signature) // 2, len(signature) - 2):
        await refused(client, cast.officer,
                      with_segment(issued.jws, 2, flip_char(signature, index)),
                      ["bad_signature"])
    raw = bytearray(b64d(signature))
    raw[-1] ^= 0x01
    await refused(client, cast.officer, with_segment(issued.jws, 2, b64e(bytes(raw))),
                  ["bad_signature"])
    # truncated or missing signatures
    await refused(client, cast.officer, with_segment(issued.jws, 2, b64e(bytes(raw[:-1]))),
                  ["bad_signature"])
    await refused(client, cast.officer, with_segment(issued.jws, 2, ""), ["bad_signature"])


async def test_kid_of_another_unit(client: httpx.AsyncClient, cast: Cast, issued: Issued,
                                   people: People) -> None:
    other = await issue(client, await make_cast(people, "12"))
    assert other.kid != issued.kid
    jwks = {k["kid"]: k for k in await published_keys(client)}
    assert jwks[other.kid]["kt1_unit"] == "POLICE-12"
    header = {**header_of(issued.jws), "kid": other.kid}
    swapped = with_segment(issued.jws, 0, b64e(json.dumps(header, separators=(",", ":"))
                                                 .encode()))
    await refused(client, cast.officer, swapped, ["bad_signature"])


# --------------------------------------------------------------------------- algorithm games


async def test_alg_none_is_refused(client: httpx.AsyncClient, cast: Cast,
                                   issued: Issued) -> None:
    claims = claims_of(issued.jws)
    for alg in ("none", "None", "NONE", ""):
        token = unsigned({"alg": alg, "typ": "vc+jwt", "kid": issued.kid}, claims)
        answer = await refused(client, cast.officer, token, ["bad_alg"])
        assert answer["claims"] is None
    no_kid = unsigned({"alg": "none", "typ": "vc+jwt"}, claims)
    await refused(client, cast.officer, no_kid, ["bad_alg", "unknown_kid"])
    # the real signature kept under an alg: none header
    with_sig = unsigned({"alg": "none", "typ": "vc+jwt", "kid": issued.kid}, claims,
                        b64d(issued.jws.split(".")[2]))
    await refused(client, cast.officer, with_sig, ["bad_alg"])


async def test_hs256_with_the_public_key_as_secret(client: httpx.AsyncClient, cast: Cast,
                                                   issued: Issued) -> None:
    jwk = next(k for k in await published_keys(client) if k["kid"] == issued.kid)
    public = jose_es256.public_key_from_jwk({m: jwk[m] for m in ("kty", "crv", "x", "y")})
    secrets = [
        public.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo),
        public.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo),
        json.dumps(jwk).encode(),
        json.dumps({m: jwk[m] for m in ("kty", "crv", "x", "y")}).encode(),
        json.dumps({m: jwk[m] for m in ("crv", "kty", "x", "y")}, separators=(",", ":"),
                   sort_keys=True).encode(),
    ]
    claims = claims_of(issued.jws)
    for secret in secrets:
        token = hs256({"alg": "HS256", "typ": "vc+jwt", "kid": issued.kid}, claims, secret)
        answer = await refused(client, cast.officer, token, ["bad_alg"])
        assert answer["claims"] is None


async def test_other_algorithms_are_refused(client: httpx.AsyncClient, cast: Cast,
                                            issued: Issued) -> None:
    _, payload, signature = issued.jws.split(".")
    for alg in ("ES384", "ES512", "RS256", "PS256", "EdDSA", "es256"):
        header = {"alg": alg, "typ": "vc+jwt", "kid": issued.kid}
        token = f"{b64e(json.dumps(header).encode())}.{payload}.{signature}"
        await refused(client, cast.officer, token, ["bad_alg"])


# --------------------------------------------------------------------------- signed with real keys


async def test_expired_credential(client: httpx.AsyncClient, cast: Cast, issued: Issued,
                                  keys: RegistryKeys) -> None:
    key = unit_key(keys, "POLICE-51", issued.kid)
    now = datetime.now(UTC)
    claims = {**claims_of(issued.jws), "validFrom": at(now - timedelta(days=800)),
              "validUntil": at(now - timedelta(days=70)),
              "iat": int((now - timedelta(days=800)).timestamp())}
    await refused(client, cast.officer, resign(claims, key, issued.kid), ["expired"])
    # a second past validUntil is enough (inclusive bound)
    claims["validUntil"] = at(now - timedelta(seconds=2))
    await refused(client, cast.officer, resign(claims, key, issued.kid), ["expired"])
    # and a JWT exp in the past counts too
    claims = {**claims_of(issued.jws), "exp": int(now.timestamp()) - 5}
    await refused(client, cast.officer, resign(claims, key, issued.kid), ["expired"])


async def test_not_yet_valid_credential(client: httpx.AsyncClient, cast: Cast, issued: Issued,
                                        keys: RegistryKeys) -> None:
    key = unit_key(keys, "POLICE-51", issued.kid)
    later = datetime.now(UTC) + timedelta(days=3)
    claims = {**claims_of(issued.jws), "validFrom": at(later)}
    await refused(client, cast.officer, resign(claims, key, issued.kid), ["not_yet_valid"])


async def test_revoked_credential(client: httpx.AsyncClient, cast: Cast,
                                  issued: Issued) -> None:
    assert (await change(client, cast.lead, issued.worker_id, "revoke")).status_code == 200
    await refused(client, cast.officer, issued.jws, ["revoked"])


async def test_suspended_credential(client: httpx.AsyncClient, cast: Cast,
                                    issued: Issued) -> None:
    assert (await change(client, cast.lead, issued.worker_id, "suspend")).status_code == 200
    await refused(client, cast.officer, issued.jws, ["suspended"])
    assert (await change(client, cast.lead, issued.worker_id, "reinstate", None)
            ).status_code == 200
    await accepted(client, cast.officer, issued.jws)


async def test_status_list_key_cannot_sign_attestations(client: httpx.AsyncClient, cast: Cast,
                                                        issued: Issued,
                                                        keys: RegistryKeys) -> None:
    jwks = await published_keys(client)
    assert any(k["kid"] == keys.status_kid and k["kt1_purpose"] == "status-list" for k in jwks)
    token = resign(claims_of(issued.jws), keys.status_key, keys.status_kid)
    answer = await refused(client, cast.officer, token, ["unknown_kid"])
    assert answer["claims"] is None
    # nor the access-token key, which is not published for credentials at all
    token = resign(claims_of(issued.jws), keys.token_key, keys.token_kid)
    await refused(client, cast.officer, token, ["unknown_kid"])
    # nor a fresh key that nobody published
    stranger = jose_es256.generate_key()
    token = resign(claims_of(issued.jws), stranger, jose_es256.key_id(stranger.public_key()))
    await refused(client, cast.officer, token, ["unknown_kid"])


async def test_issuer_of_another_unit_signed_with_this_units_key(
        client: httpx.AsyncClient, cast: Cast, issued: Issued, keys: RegistryKeys) -> None:
    key = unit_key(keys, "POLICE-51", issued.kid)
    claims = claims_of(issued.jws)
    forged = {**claims, "issuer": {"id": "urn:kt1:unit:POLICE-12", "name": "Công an"},
              "iss": "urn:kt1:unit:POLICE-12"}
    answer = await refused(client, cast.officer, resign(forged, key, issued.kid),
                           ["issuer_mismatch"])
    assert answer["claims"]["issuer"]["id"] == "urn:kt1:unit:POLICE-12"
    # a plain-string issuer (allowed by VC 2.0) is compared too
    forged = {**claims, "issuer": "urn:kt1:unit:POLICE-12"}
    await refused(client, cast.officer, resign(forged, key, issued.kid), ["issuer_mismatch"])


async def test_several_reasons_are_all_listed(client: httpx.AsyncClient, cast: Cast,
                                              people: People, keys: RegistryKeys) -> None:
    revoked = await issue(client, cast)
    suspended = await issue(client, cast)
    assert (await change(client, cast.lead, revoked.worker_id, "revoke")).status_code == 200
    assert (await change(client, cast.lead, suspended.worker_id, "suspend")).status_code == 200
    key = unit_key(keys, "POLICE-51", revoked.kid)
    now = datetime.now(UTC)
    claims = claims_of(revoked.jws)
    status = [
        {**entry, "statusListIndex": str(revoked.index if entry["statusPurpose"] == "revocation"
                                         else suspended.index)}
        for entry in claims["credentialStatus"]]
    forged = {**claims, "issuer": {"id": "urn:kt1:unit:POLICE-12"},
              "validFrom": at(now - timedelta(days=800)),
              "validUntil": at(now - timedelta(days=70)),
              "iat": int((now - timedelta(days=800)).timestamp()),
              "credentialStatus": status}
    answer = await refused(client, cast.officer, resign(forged, key, revoked.kid),
                           ["expired", "issuer_mismatch", "revoked", "suspended"])
    assert answer["claims"] is not None
    # header and signature problems together
    header = {"alg": "ES256", "typ": "JWT", "kid": revoked.kid}
    head = b64e(json.dumps(header, separators=(",", ":")).encode())
    _, payload, signature = revoked.jws.split(".")
    await refused(client, cast.officer, f"{head}.{payload}.{signature}",
                  ["bad_typ", "bad_signature"])


async def test_malformed_tokens(client: httpx.AsyncClient, cast: Cast, issued: Issued) -> None:
    head, payload, signature = issued.jws.split(".")
    for token in (f"{head}.{payload}", f"{issued.jws}.{signature}", f"{head}=.{payload}.x",
                  f"{head}.{payload}.{signature}==", "not a token", f" {issued.jws}"):
        await refused(client, cast.officer, token, ["malformed"])
    oversized = await client.post("/api/v1/attestations/verify", headers=cast.hr.headers,
                                  json={"jws": "a" * 70_000})
    assert oversized.status_code == 400


# --------------------------------------------------------------------------- retired keys


async def test_retired_key_verifies_old_attestations_only(isolated: Isolated,
                                                          keys: RegistryKeys) -> None:
    client = isolated.client
    cast = await make_cast(isolated.people)
    old = await issue(client, cast)
    async with isolated.database.transaction() as session:
        new_kid = await unit_keys.rotate(session, Context(actor=SYSTEM), keys.store, "POLICE-51")
    async with isolated.database.transaction(read_only=True) as session:
        retired_at = await session.scalar(select(SigningKey.retired_at).where(
            SigningKey.kid == old.kid))
    assert retired_at is not None and new_kid != old.kid

    # the old attestation still verifies under its retired key
    await accepted(client, cast.officer, old.jws)
    jwk = next(k for k in await published_keys(client) if k["kid"] == old.kid)
    assert jwk["kt1_retired_at"] is not None

    # a credential issued after retirement but signed with the retired key is refused
    key = unit_key(keys, "POLICE-51", old.kid)
    # (the published retirement time has whole seconds: the next second is "after" it)
    later = int(retired_at.timestamp()) + 1
    await asyncio.sleep(max(0.0, later - time.time()) + 0.05)  # so `later` is not the future
    forged = {**claims_of(old.jws), "iat": later,
              "validFrom": at(datetime.fromtimestamp(later, UTC))}
    await refused(client, cast.officer, resign(forged, key, old.kid), ["key_retired"])
    # one issued before the retirement still passes (the key was in force then)
    earlier = int(retired_at.timestamp()) - 60
    backdated = {**claims_of(old.jws), "iat": earlier,
                 "validFrom": at(datetime.fromtimestamp(earlier, UTC))}
    await accepted(client, cast.officer, resign(backdated, key, old.kid))

    # new decisions use the new key and verify
    new = await issue(client, cast)
    assert new.kid == new_kid
    await accepted(client, cast.officer, new.jws)
