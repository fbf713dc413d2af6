"""Signed attestations: issue on approval, VC 2.0 claims, clearance life, status lists,
published keys, third-party (PyJWT) verification and key rotation.

The helpers at the top are shared with tests/security/test_attestation_tamper.py and
tests/api/test_attestation_cli.py.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select, update

from api.app import create_app
from crypto import status_list
from tests.checks import succeeded
from tests.conftest import People, Person, served, settings_for
from tests.factories import vn_today, worker_body
from vetting.attestations import unit_keys
from vetting.attestations.verification import read_status_list
from vetting.db import Database
from vetting.errors import InvalidInput
from vetting.keys import RegistryKeys
from vetting.models import AuditEntry, Clearance
from vetting.principal import SYSTEM, Context
from vetting.settings import Settings

JWKS_URL = "/.well-known/jwks.json"
VERIFY = "/api/v1/attestations/verify"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
PURPOSES = ("revocation", "suspension")
KT1VET = str(Path(sys.executable).with_name("kt1vet"))


# --------------------------------------------------------------------------- shared helpers


def b64d(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def header_of(token: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(b64d(token.split(".")[0]))
    return value


def claims_of(token: str) -> dict[str, Any]:
    """The payload, unverified (tests read what was signed; the verifiers check it)."""
    value: dict[str, Any] = json.loads(b64d(token.split(".")[1]))
    return value


def rfc7638(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of an EC key, computed here without the product's code."""
    required = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True)
    return b64e(hashlib.sha256(canonical.encode()).digest())


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def plus_months(start: date, months: int) -> date:
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    for day in range(start.day, 27, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, min(start.day, 28))


@dataclass
class Cast:
    """The people of one province: HR of its post unit, an officer and a lead of its police."""

    hr: Person
    officer: Person
    lead: Person
    province: str

    @property
    def police_unit(self) -> str:
        return f"POLICE-{self.province}"


async def make_cast(people: People, province: str = "51") -> Cast:
    return Cast(hr=await people.make("post_hr", unit=f"POST-{province}"),
                officer=await people.make("police_officer", unit=f"POLICE-{province}"),
                lead=await people.make("police_lead", unit=f"POLICE-{province}"),
                province=province)


@dataclass
class Issued:
    """An approved request and the attestation it produced."""

    worker: dict[str, Any]
    body: dict[str, Any]
    request_id: str
    approval: dict[str, Any]
    clearance: dict[str, Any]
    attestation: dict[str, Any]
    before: datetime
    after: datetime

    @property
    def worker_id(self) -> str:
        return str(self.worker["id"])

    @property
    def jws(self) -> str:
        return str(self.attestation["jws"])

    @property
    def kid(self) -> str:
        return str(header_of(self.jws)["kid"])

    @property
    def index(self) -> int:
        return int(self.attestation["status_index"])


async def register(client: httpx.AsyncClient, cast: Cast) -> tuple[dict[str, Any],
                                                                   dict[str, Any]]:
    body = worker_body(f"POST-{cast.province}")
    response = await client.post("/api/v1/workers", json=body, headers=cast.hr.headers)
    assert response.status_code == 201, response.text
    return response.json(), body


async def nominate(client: httpx.AsyncClient, cast: Cast, worker_id: str) -> str:
    response = await client.post("/api/v1/vetting-requests", headers=cast.hr.headers,
                                 json={"worker_id": worker_id, "reason": "KT1 giao nhận"})
    assert response.status_code == 201, response.text
    assert response.json()["police_unit"] == cast.police_unit
    return str(response.json()["id"])


async def decide(client: httpx.AsyncClient, cast: Cast, request_id: str,
                 outcome: str) -> dict[str, Any]:
    base = f"/api/v1/vetting-requests/{request_id}"
    claimed = await client.post(f"{base}/claim", headers=cast.officer.headers)
    assert claimed.status_code == 200, claimed.text
    proposed = await client.post(f"{base}/propose", headers=cast.officer.headers,
                                 json={"outcome": outcome, "note": "Kết luận thẩm tra"})
    assert proposed.status_code == 200, proposed.text
    approved = await client.post(f"{base}/approve", headers=cast.lead.headers)
    assert approved.status_code == 200, approved.text
    result: dict[str, Any] = approved.json()
    return result


async def clearance(client: httpx.AsyncClient, who: Person, worker_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/workers/{worker_id}/clearance", headers=who.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def attestation(client: httpx.AsyncClient, who: Person,
                      attestation_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/attestations/{attestation_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def issue(client: httpx.AsyncClient, cast: Cast,
                outcome: str = "meets_standard") -> Issued:
    """Register a worker, nominate, review and approve; fetch the clearance and attestation."""
    worker, body = await register(client, cast)
    request_id = await nominate(client, cast, worker["id"])
    before = datetime.now(UTC)
    approval = await decide(client, cast, request_id, outcome)
    after = datetime.now(UTC)
    state = await clearance(client, cast.hr, worker["id"])
    assert state["attestation_id"], state
    found = await attestation(client, cast.hr, state["attestation_id"])
    return Issued(worker=worker, body=body, request_id=request_id, approval=approval,
                  clearance=state, attestation=found, before=before, after=after)


async def change(client: httpx.AsyncClient, who: Person, worker_id: str, action: str,
                 reason: str | None = "Thẩm tra lại") -> httpx.Response:
    body = None if reason is None else {"reason": reason}
    return await client.post(f"/api/v1/workers/{worker_id}/clearance/{action}", json=body,
                             headers=who.headers)


async def verify(client: httpx.AsyncClient, who: Person, jws: str) -> dict[str, Any]:
    response = await client.post(VERIFY, json={"jws": jws}, headers=who.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def published_keys(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get(JWKS_URL)
    assert response.status_code == 200, response.text
    keys: list[dict[str, Any]] = response.json()["keys"]
    return keys


async def status_token(client: httpx.AsyncClient, purpose: str) -> str:
    response = await client.get(f"/api/v1/status-lists/{purpose}")
    assert response.status_code == 200, response.text
    return response.text.strip()


async def published_bits(client: httpx.AsyncClient) -> dict[str, bytes]:
    """Both published lists, each checked against the published status-list key."""
    jwks = await published_keys(client)
    lists = [read_status_list(await status_token(client, p), jwks, now=time.time())
             for p in PURPOSES]
    return dict(lists)


@dataclass
class Isolated:
    """An app over a database that one test owns (for changes that would leak, like
    rotating a unit's key)."""

    client: httpx.AsyncClient
    people: People
    settings: Settings
    database: Database


@asynccontextmanager
async def isolated_registry(settings: Settings) -> AsyncIterator[Isolated]:
    database = Database(settings.database_url)
    keys = RegistryKeys.open(settings.keys_dir)
    try:
        async with served(create_app(settings, database)) as client:
            yield Isolated(client=client, people=People(database=database, keys=keys),
                           settings=settings, database=database)
    finally:
        await database.dispose()


async def kt1vet(settings: Settings, *args: str) -> tuple[int, str, str]:
    """Run the real command line against a test's database and keys."""
    env = {**os.environ, "KT1_DATABASE_URL": settings.database_url,
           "KT1_KEYS_DIR": str(settings.keys_dir)}
    env.pop("KT1_POLICY_FILE", None)
    process = await asyncio.create_subprocess_exec(
        KT1VET, *args, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
async def cast(people: People) -> Cast:
    return await make_cast(people)


@pytest.fixture
async def isolated(fresh_settings: Settings) -> AsyncIterator[Isolated]:
    async with isolated_registry(fresh_settings) as registry:
        yield registry


# --------------------------------------------------------------------------- issue


async def test_approval_issues_clearance_and_vc_attestation(
        client: httpx.AsyncClient, cast: Cast, settings: Settings,
        database: Database) -> None:
    issued = await issue(client, cast)
    assert issued.approval["state"] == "cleared"

    # the clearance: active for the policy's 24 months from the approval
    state = issued.clearance
    assert state["state"] == "active"
    assert state["police_unit"] == "POLICE-51"
    valid_until = parse_time(state["valid_until"])
    valid_from = parse_time(issued.attestation["valid_from"])
    assert issued.before.replace(microsecond=0) <= valid_from <= issued.after
    assert valid_until.date() == plus_months(valid_from.date(), 24)
    assert valid_until.time() == valid_from.time()
    assert parse_time(issued.attestation["valid_until"]) == valid_until

    # the attestation record
    found = issued.attestation
    assert found["id"] == state["attestation_id"]
    assert found["worker_id"] == issued.worker_id
    assert found["request_id"] == issued.request_id
    assert found["police_unit"] == "POLICE-51"
    assert found["outcome"] == "meets_standard"

    # compact JWS, header exactly {alg, typ, kid}
    jws = issued.jws
    assert jws.count(".") == 2 and all(jws.split("."))
    header = header_of(jws)
    assert set(header) == {"alg", "typ", "kid"}
    assert header["alg"] == "ES256" and header["typ"] == "vc+jwt"
    assert header["kid"] == found["kid"]

    # the kid is published, and is the RFC 7638 thumbprint of the published key
    published = [k for k in await published_keys(client) if k.get("kid") == header["kid"]]
    assert len(published) == 1
    jwk = published[0]
    assert jwk["kty"] == "EC" and jwk["crv"] == "P-256" and "d" not in jwk
    assert jwk["kt1_purpose"] == "attestation" and jwk["kt1_unit"] == "POLICE-51"
    assert jwk["kt1_retired_at"] is None
    assert rfc7638(jwk) == header["kid"]

    # VC 2.0 claims
    claims = claims_of(jws)
    assert claims["@context"][0] == VC_V2
    assert "VerifiableCredential" in claims["type"]
    assert claims["issuer"]["id"] == "urn:kt1:unit:POLICE-51"
    assert claims["iss"] == "urn:kt1:unit:POLICE-51"
    assert parse_time(claims["validFrom"]) == valid_from
    assert parse_time(claims["validUntil"]) == valid_until
    subject = claims["credentialSubject"]
    assert subject["id"] == f"urn:kt1:worker:{issued.worker_id}" == claims["sub"]
    assert subject["employeeNo"] == issued.body["employee_no"]
    assert subject["outcome"] == "meets_standard"
    assert subject["stages"] == issued.body["stages"]
    salt = found["national_id_salt"]
    expected_digest = hashlib.sha256(f"{salt}:{issued.body['national_id']}".encode()).hexdigest()
    assert subject["nationalIdDigest"] == f"sha-256:{expected_digest}"
    payload_text = b64d(jws.split(".")[1]).decode()
    assert issued.body["national_id"] not in payload_text
    assert issued.body["full_name"] not in payload_text

    evidence = claims["evidence"]
    evidence = evidence[0] if isinstance(evidence, list) else evidence
    assert evidence["requestId"] == issued.request_id
    assert evidence["proposedBy"] == cast.officer.id
    assert evidence["approvedBy"] == cast.lead.id
    assert evidence["policyVersion"] == settings.policy.version

    entries = claims["credentialStatus"]
    assert len(entries) == 2
    assert {e["statusPurpose"] for e in entries} == set(PURPOSES)
    for entry in entries:
        list_url = f"{settings.public_url}/api/v1/status-lists/{entry['statusPurpose']}"
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["statusListIndex"] == str(found["status_index"])
        assert entry["statusListCredential"] == list_url
        assert entry["id"] == f"{list_url}#{found['status_index']}"
    list_size = len((await published_bits(client))["revocation"]) * 8
    assert list_size >= status_list.MIN_ENTRIES
    assert 0 <= found["status_index"] < list_size

    # the registry says valid
    answer = await verify(client, cast.officer, jws)
    assert answer == {"valid": True, "reasons": [], "claims": claims}

    # issued in the approval's transaction, and audited there
    async with database.transaction(read_only=True) as session:
        audited = (await session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_id == found["id"]))).all()
    assert audited == ["attestation.issue"]


async def test_attestation_is_scoped_like_the_worker(client: httpx.AsyncClient, cast: Cast,
                                                     people: People) -> None:
    issued = await issue(client, cast)
    other_hr = await people.make("post_hr", unit="POST-12")
    other_police = await people.make("police_lead", unit="POLICE-12")
    for who in (other_hr, other_police):
        response = await client.get(f"/api/v1/attestations/{issued.attestation['id']}",
                                    headers=who.headers)
        assert response.status_code == 404
        response = await client.get(f"/api/v1/workers/{issued.worker_id}/clearance",
                                    headers=who.headers)
        assert response.status_code == 404
    assert (await client.get(f"/api/v1/attestations/{issued.attestation['id']}")
            ).status_code == 401
    assert (await client.get("/api/v1/attestations/nosuchattestation",
                             headers=cast.hr.headers)).status_code == 404
    # verifying is public: anyone, signed in anywhere or not at all
    anonymous = await client.post(VERIFY, json={"jws": issued.jws})
    assert anonymous.status_code == 200 and anonymous.json()["valid"] is True
    assert (await verify(client, other_hr, issued.jws))["valid"] is True


async def test_does_not_meet_is_signed_but_clears_nothing(client: httpx.AsyncClient,
                                                          cast: Cast) -> None:
    issued = await issue(client, cast, outcome="does_not_meet")
    assert issued.approval["state"] == "not_cleared"
    assert issued.clearance["state"] == "not_cleared"
    assert issued.clearance["valid_until"] is None
    assert issued.attestation["outcome"] == "does_not_meet"
    claims = claims_of(issued.jws)
    assert claims["credentialSubject"]["outcome"] == "does_not_meet"
    assert header_of(issued.jws)["alg"] == "ES256"
    # a signed, verifiable record of the decision; it clears nobody
    answer = await verify(client, cast.officer, issued.jws)
    assert answer["valid"] is True
    assert answer["claims"]["credentialSubject"]["outcome"] == "does_not_meet"
    # nothing to suspend: no clearance exists
    suspend = await change(client, cast.lead, issued.worker_id, "suspend")
    assert suspend.status_code == 404


async def test_clearance_is_none_then_pending(client: httpx.AsyncClient, cast: Cast) -> None:
    worker, _ = await register(client, cast)
    before = await clearance(client, cast.hr, worker["id"])
    assert before == {**before, "state": "none", "valid_until": None, "attestation_id": None}
    request_id = await nominate(client, cast, worker["id"])
    pending = await clearance(client, cast.hr, worker["id"])
    assert pending["state"] == "pending" and pending["attestation_id"] is None
    succeeded(await client.post(f"/api/v1/vetting-requests/{request_id}/claim",
                                headers=cast.officer.headers))
    assert (await clearance(client, cast.hr, worker["id"]))["state"] == "pending"
    withdrawn = await client.post(f"/api/v1/vetting-requests/{request_id}/withdraw",
                                  headers=cast.hr.headers)
    assert withdrawn.status_code == 200, withdrawn.text
    assert (await clearance(client, cast.hr, worker["id"]))["state"] == "none"


# --------------------------------------------------------------------------- lifecycle


async def test_suspend_reinstate_revoke(client: httpx.AsyncClient, cast: Cast) -> None:
    issued = await issue(client, cast)
    wid, index = issued.worker_id, issued.index

    suspended = await change(client, cast.lead, wid, "suspend", "Nghi lộ lọt")
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["state"] == "suspended"
    state = await clearance(client, cast.hr, wid)
    assert state["state"] == "suspended" and state["attestation_id"] == issued.attestation["id"]
    answer = await verify(client, cast.officer, issued.jws)
    assert answer["valid"] is False and answer["reasons"] == ["suspended"]
    bits = await published_bits(client)
    assert status_list.get_bit(bits["suspension"], index) is True
    assert status_list.get_bit(bits["revocation"], index) is False
    again = await change(client, cast.lead, wid, "suspend")
    assert again.status_code == 409

    reinstated = await change(client, cast.lead, wid, "reinstate", None)
    assert reinstated.status_code == 200, reinstated.text
    assert reinstated.json()["state"] == "active"
    assert (await clearance(client, cast.hr, wid))["state"] == "active"
    assert await verify(client, cast.officer, issued.jws) == {
        "valid": True, "reasons": [], "claims": claims_of(issued.jws)}
    bits = await published_bits(client)
    assert status_list.get_bit(bits["suspension"], index) is False

    revoked = await change(client, cast.lead, wid, "revoke", "Vi phạm quy định")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["state"] == "revoked"
    state = await clearance(client, cast.hr, wid)
    assert state["state"] == "revoked" and state["reason"] == "Vi phạm quy định"
    answer = await verify(client, cast.officer, issued.jws)
    assert answer["valid"] is False and "revoked" in answer["reasons"]
    bits = await published_bits(client)
    assert status_list.get_bit(bits["revocation"], index) is True

    # revocation is final
    for action, reason in (("reinstate", None), ("suspend", "x"), ("revoke", "x")):
        refused = await change(client, cast.lead, wid, action, reason)
        assert refused.status_code == 409, (action, refused.text)
        assert refused.json()["current_state"] == "revoked"
    assert (await clearance(client, cast.hr, wid))["state"] == "revoked"


async def test_revoke_from_suspended_sets_both_reasons(client: httpx.AsyncClient,
                                                       cast: Cast) -> None:
    issued = await issue(client, cast)
    assert (await change(client, cast.lead, issued.worker_id, "suspend")).status_code == 200
    assert (await change(client, cast.lead, issued.worker_id, "revoke")).status_code == 200
    answer = await verify(client, cast.officer, issued.jws)
    assert answer["valid"] is False
    assert sorted(answer["reasons"]) == ["revoked", "suspended"]


async def test_only_a_lead_of_the_issuing_unit_changes_a_clearance(
        client: httpx.AsyncClient, cast: Cast, people: People) -> None:
    issued = await issue(client, cast)
    wid = issued.worker_id
    other_lead = await people.make("police_lead", unit="POLICE-12")
    for action in ("suspend", "revoke"):
        assert (await change(client, other_lead, wid, action)).status_code == 404
        assert (await change(client, cast.officer, wid, action)).status_code == 403
        assert (await change(client, cast.hr, wid, action)).status_code == 403
    assert (await change(client, other_lead, wid, "reinstate", None)).status_code == 404
    # a reason is required to suspend or revoke
    missing = await client.post(f"/api/v1/workers/{wid}/clearance/suspend", json={},
                                headers=cast.lead.headers)
    assert missing.status_code == 400
    empty = await change(client, cast.lead, wid, "revoke", "")
    assert empty.status_code == 400
    state = await clearance(client, cast.hr, wid)
    assert state["state"] == "active"
    assert (await verify(client, cast.officer, issued.jws))["valid"] is True


async def test_leave_revokes_the_active_clearance(client: httpx.AsyncClient,
                                                  cast: Cast) -> None:
    issued = await issue(client, cast)
    left = await client.post(f"/api/v1/workers/{issued.worker_id}/leave",
                             headers=cast.hr.headers,
                             json={"left_on": vn_today().isoformat(), "reason": "Nghỉ việc"})
    assert left.status_code == 200, left.text
    assert (await clearance(client, cast.hr, issued.worker_id))["state"] == "revoked"
    answer = await verify(client, cast.officer, issued.jws)
    assert answer["valid"] is False and answer["reasons"] == ["revoked"]
    assert status_list.get_bit((await published_bits(client))["revocation"], issued.index)


async def test_leave_after_reverification_revokes_every_clearance(
        client: httpx.AsyncClient, cast: Cast, database: Database) -> None:
    first = await issue(client, cast)
    # bring the first clearance into the re-verification window (60 days before expiry)
    async with database.transaction() as session:
        await session.execute(update(Clearance).where(
            Clearance.attestation_id == first.attestation["id"]).values(
            valid_until=datetime.now(UTC) + timedelta(days=30)))
    request_id = await nominate(client, cast, first.worker_id)
    await decide(client, cast, request_id, "meets_standard")
    second = await clearance(client, cast.hr, first.worker_id)
    assert second["state"] == "active"
    assert second["attestation_id"] != first.attestation["id"]
    second_jws = (await attestation(client, cast.hr, second["attestation_id"]))["jws"]

    left = await client.post(f"/api/v1/workers/{first.worker_id}/leave",
                             headers=cast.hr.headers,
                             json={"left_on": vn_today().isoformat(), "reason": "Nghỉ việc"})
    assert left.status_code == 200, left.text
    assert (await clearance(client, cast.hr, first.worker_id))["state"] == "revoked"
    for jws in (first.jws, second_jws):
        answer = await verify(client, cast.officer, jws)
        assert "revoked" in answer["reasons"], answer["reasons"]


async def test_expiry_is_computed_without_a_job(client: httpx.AsyncClient, cast: Cast,
                                                database: Database) -> None:
    issued = await issue(client, cast)
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    # Stand-in for 24 months passing: move the stored end of the clearance into the past.
    # No job runs; the state must follow from valid_until alone.
    async with database.transaction() as session:
        await session.execute(update(Clearance).where(
            Clearance.attestation_id == issued.attestation["id"]).values(valid_until=past))
    state = await clearance(client, cast.hr, issued.worker_id)
    assert state["state"] == "expired"
    assert parse_time(state["valid_until"]) == past
    assert (await change(client, cast.lead, issued.worker_id, "reinstate", None)
            ).status_code == 409
    # The JWS is immutable and carries its own validUntil (24 months out), which the edit
    # above cannot move: verification judges the credential by its signed window and the
    # status lists, so it still passes. Real expiry (a past validUntil in the signed claims)
    # is refused as `expired`: see tests/security/test_attestation_tamper.py.
    answer = await verify(client, cast.officer, issued.jws)
    assert answer["valid"] is True
    assert parse_time(answer["claims"]["validUntil"]) > datetime.now(UTC)


# --------------------------------------------------------------------------- status lists


@pytest.mark.parametrize("purpose", PURPOSES)
async def test_status_list_is_public_signed_and_large(client: httpx.AsyncClient,
                                                      settings: Settings,
                                                      purpose: str) -> None:
    response = await client.get(f"/api/v1/status-lists/{purpose}")  # no token
    assert response.status_code == 200, response.text
    assert response.headers.get("cache-control")
    assert response.headers["content-type"].startswith("application/vc+jwt")
    token = response.text.strip()
    header = header_of(token)
    assert set(header) == {"alg", "typ", "kid"}
    assert header["alg"] == "ES256" and header["typ"] == "vc+jwt"
    jwks = await published_keys(client)
    signer = [k for k in jwks if k.get("kid") == header["kid"]]
    assert len(signer) == 1 and signer[0]["kt1_purpose"] == "status-list"
    assert rfc7638(signer[0]) == header["kid"]
    # checked by an independent library with the published key
    claims = jwt.decode(token, key=jwt.PyJWK(signer[0]).key, algorithms=["ES256"],
                        options={"verify_aud": False})
    assert claims["@context"][0] == VC_V2
    assert "BitstringStatusListCredential" in claims["type"]
    assert claims["id"] == f"{settings.public_url}/api/v1/status-lists/{purpose}"
    subject = claims["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == purpose
    bits = status_list.decode(subject["encodedList"])
    assert len(bits) * 8 >= 131_072
    assert parse_time(claims["validUntil"]) > datetime.now(UTC)
    # the product's reader agrees
    assert read_status_list(token, jwks, now=time.time()) == (purpose, bits)


async def test_unknown_status_list_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/status-lists/expiry")).status_code == 404


# --------------------------------------------------------------------------- interop


async def test_third_party_verifies_with_pyjwt(client: httpx.AsyncClient, cast: Cast) -> None:
    issued = await issue(client, cast)
    jwks = {k["kid"]: k for k in await published_keys(client)}
    header = jwt.get_unverified_header(issued.jws)
    key = jwt.PyJWK(jwks[header["kid"]]).key
    claims = jwt.decode(issued.jws, key=key, algorithms=["ES256"],
                        options={"verify_aud": False, "verify_exp": False})
    assert claims == claims_of(issued.jws)
    assert claims["credentialSubject"]["id"] == f"urn:kt1:worker:{issued.worker_id}"

    # and PyJWT refuses the same token once a payload byte changes
    head, _, signature = issued.jws.split(".")
    forged = json.dumps({**claims, "validUntil": "2099-01-01T00:00:00Z"},
                        separators=(",", ":")).encode()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{head}.{b64e(forged)}.{signature}", key=key, algorithms=["ES256"],
                   options={"verify_aud": False, "verify_exp": False})

    # the status list too, with the status-list key, and the index reads the same way
    revocation = await status_token(client, "revocation")
    list_key = jwt.PyJWK(jwks[jwt.get_unverified_header(revocation)["kid"]]).key
    listed = jwt.decode(revocation, key=list_key, algorithms=["ES256"],
                        options={"verify_aud": False})
    bits = status_list.decode(listed["credentialSubject"]["encodedList"])
    assert status_list.get_bit(bits, issued.index) is False


# --------------------------------------------------------------------------- rotation


async def test_key_rotation_keeps_old_attestations_verifiable(isolated: Isolated) -> None:
    client = isolated.client
    cast = await make_cast(isolated.people)
    old = await issue(client, cast)
    old_kid = old.kid

    code, out, err = await kt1vet(isolated.settings, "keys", "rotate", "--unit", "POLICE-51")
    assert code == 0, err
    new_kid = out.strip().rsplit(" ", 1)[-1]
    assert new_kid != old_kid

    published = {k["kid"]: k for k in await published_keys(client)
                 if k.get("kt1_unit") == "POLICE-51"}
    assert set(published) == {old_kid, new_kid}
    assert published[old_kid]["kt1_retired_at"] is not None
    assert published[new_kid]["kt1_retired_at"] is None
    assert rfc7638(published[new_kid]) == new_kid

    # the old attestation still verifies, with the registry and with PyJWT
    assert (await verify(client, cast.officer, old.jws))["valid"] is True
    jwt.decode(old.jws, key=jwt.PyJWK(published[old_kid]).key, algorithms=["ES256"],
               options={"verify_aud": False, "verify_exp": False})

    # a new decision is signed with the new key
    new = await issue(client, cast)
    assert new.kid == new_kid and new.attestation["kid"] == new_kid
    assert (await verify(client, cast.officer, new.jws))["valid"] is True

    # rotating again keeps every key published; only police units have keys
    async with isolated.database.transaction() as session:
        newest = await unit_keys.rotate(session, Context(actor=SYSTEM),
                                        isolated.people.keys.store, "POLICE-51")
        with pytest.raises(InvalidInput):
            await unit_keys.rotate(session, Context(actor=SYSTEM),
                                   isolated.people.keys.store, "POST-51")
    kids = {k["kid"] for k in await published_keys(client) if k.get("kt1_unit") == "POLICE-51"}
    assert kids == {old_kid, new_kid, newest}
    assert (await verify(client, cast.officer, old.jws))["valid"] is True
    assert (await verify(client, cast.officer, new.jws))["valid"] is True


async def test_verify_is_public_and_rate_limited_per_client(settings: Settings,
                                                            database: Database) -> None:
    """Without a token a stranger may check an attestation, a few times a minute."""
    limited = settings_for(settings.database_url, settings.keys_dir,
                           KT1_VERIFY_CHECKS_PER_MINUTE="3")
    async with served(create_app(limited, database)) as client:
        answers = [await client.post(VERIFY, json={"jws": "a.b.c"}) for _ in range(4)]
        english = await client.post(VERIFY, json={"jws": "a.b.c"},
                                    headers={"Accept-Language": "en"})
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].json()["valid"] is False
    refused = answers[3]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "TOO_MANY_REQUESTS"
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many attempts" in english.json()["detail"]
