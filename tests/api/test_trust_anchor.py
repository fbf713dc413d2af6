"""The keys eligibility trusts live outside the database: a police unit key inserted straight
into the database, with an attestation it signed, makes nobody eligible, is not published and
does not verify; a genuine key relabelled as another unit's is refused the same way."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from crypto import jose_es256
from tests.api.test_eligibility import Desk, codes
from vetting.db import Database
from vetting.models import Attestation, Clearance, SigningKey


def _claims(jws: str) -> dict[str, object]:
    payload = jws.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def _jwks_kids(client: httpx.AsyncClient) -> set[str]:
    return {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}


async def test_a_forged_unit_key_in_the_database_makes_nobody_eligible(
        desk: Desk, database: Database) -> None:
    route_id = await desk.route()
    worker_id = await desk.cleared_worker()
    assert (await desk.check(worker_id, route_id))["eligible"] is True

    # someone with write access to the database, not to the key store
    forged_key = jose_es256.generate_key()
    jwk = jose_es256.public_jwk(forged_key.public_key())
    kid = jose_es256.thumbprint(jwk)
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3650)
    async with database.transaction() as session:
        attestation = await session.scalar(select(Attestation).where(
            Attestation.worker_id == worker_id))
        assert attestation is not None
        claims = {**_claims(attestation.jws), "validUntil": until.strftime("%Y-%m-%dT%H:%M:%SZ")}
        forged = jose_es256.sign(claims, forged_key, kid=kid, typ="vc+jwt")
        # retired at once, so the unit's real key stays the one new decisions use; a retired
        # key still vouches for attestations issued before its retirement, as this one was
        session.add(SigningKey(kid=kid, unit_code="POLICE-51", public_jwk=json.dumps(jwk),
                               created_at=datetime.now(UTC) - timedelta(days=1),
                               retired_at=datetime.now(UTC)))
        await session.flush()
        attestation.jws, attestation.kid, attestation.valid_until = forged, kid, until
        await session.execute(update(Clearance).where(Clearance.worker_id == worker_id)
                              .values(valid_until=until))

    answer = await desk.check(worker_id, route_id)
    assert answer["eligible"] is False and "ATTESTATION_INVALID" in codes(answer)
    assert kid not in await _jwks_kids(desk.client)
    verified = await desk.client.post("/api/v1/attestations/verify",
                                      headers=desk.p["dispatcher"].headers, json={"jws": forged})
    assert verified.status_code == 200 and verified.json()["valid"] is False


async def test_a_genuine_key_relabelled_as_another_units_is_not_trusted(
        desk: Desk, database: Database, app: Any) -> None:
    route_id = await desk.route()
    worker_id = await desk.cleared_worker()
    async with database.transaction() as session:
        kid = await session.scalar(select(Attestation.kid).where(
            Attestation.worker_id == worker_id))
        assert kid is not None
        await session.execute(update(SigningKey).where(SigningKey.kid == kid)
                              .values(unit_code="POLICE-12"))
    try:
        assert kid not in await _jwks_kids(desk.client)
        # a fresh process of the app would learn the keys anew; this one must not keep
        # trusting a key whose row no longer matches the key store either
        app.state.services.keys.attestations.forget()
        assert "ATTESTATION_INVALID" in codes(await desk.check(worker_id, route_id))
    finally:
        async with database.transaction() as session:
            await session.execute(update(SigningKey).where(SigningKey.kid == kid)
                                  .values(unit_code="POLICE-51"))
