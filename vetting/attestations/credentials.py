"""Issuing the attestation of a police decision, in the approval's own transaction.

The payload is a W3C Verifiable Credential 2.0 secured as a compact JWS (VC-JOSE-COSE,
`typ: vc+jwt`), signed with the issuing police unit's ES256 key. A `does_not_meet`
decision is signed too, as the record of the decision; only `meets_standard` makes a
clearance.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crypto import jose_es256
from policies.calendar import months_later
from policies.policy import Policy
from vetting.attestations import status, unit_keys
from vetting.attestations.lifecycle import open_clearance
from vetting.attestations.urns import unit_urn, worker_urn
from vetting.audit.entries import append
from vetting.keys import RegistryKeys
from vetting.models import Attestation, VettingRequest, Worker
from vetting.models.base import new_id
from vetting.principal import Context
from vetting.reference_data import units

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
CREDENTIAL_TYPE = "KT1PoliticalStandardAttestation"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def national_id_digest(salt: str, national_id: str) -> str:
    """Binds the national ID without revealing it: checkable by whoever holds the salt."""
    return "sha-256:" + hashlib.sha256(f"{salt}:{national_id}".encode()).hexdigest()


def validity_window(now: datetime, policy: Policy) -> tuple[datetime, datetime]:
    """From and until when an attestation signed at `now` holds (whole seconds, as signed)."""
    start = now.replace(microsecond=0)
    return start, months_later(start, policy.clearance_validity_months)


async def issue_for_decision(session: AsyncSession, ctx: Context, keys: RegistryKeys,
                             policy: Policy, public_url: str,
                             request: VettingRequest) -> Attestation:
    worker = await session.get(Worker, request.worker_id)
    unit = units()[request.police_unit_code]
    assert worker is not None and request.outcome is not None
    kid, key = await unit_keys.active_key(session, ctx, keys.store, unit.code)
    index = await status.allocate_index(session)
    valid_from, valid_until = validity_window(ctx.now, policy)
    salt = secrets.token_hex(16)
    national_id = keys.data.unseal(worker.national_id_enc, table="worker", column="national_id",
                                   row_id=worker.id)
    attestation_id = new_id()
    claims: dict[str, Any] = {
        "@context": [VC_CONTEXT],
        "id": f"urn:uuid:{attestation_id[:8]}-{attestation_id[8:12]}-{attestation_id[12:16]}-"
              f"{attestation_id[16:20]}-{attestation_id[20:]}",
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": {"id": unit_urn(unit.code), "name": unit.name},
        "validFrom": rfc3339(valid_from),
        "validUntil": rfc3339(valid_until),
        "credentialSubject": {
            "id": worker_urn(worker.id),
            "employeeNo": worker.employee_no,
            "postUnit": worker.post_unit_code,
            "nationalIdDigest": national_id_digest(salt, national_id),
            "outcome": request.outcome,
            "stages": request.stages.split(","),
        },
        "evidence": [{
            "type": ["KT1VettingDecision"],
            "requestId": request.id,
            "proposedBy": request.proposed_by,
            "approvedBy": request.approved_by,
            "policyVersion": request.decision_policy_version,
        }],
        "credentialStatus": status.credential_status(public_url, index),
        "iss": unit_urn(unit.code),
        "sub": worker_urn(worker.id),
        "iat": int(valid_from.timestamp()),
        "jti": attestation_id,
    }
    attestation = Attestation(
        id=attestation_id, request_id=request.id, worker_id=worker.id,
        police_unit_code=unit.code, kid=kid, outcome=request.outcome, valid_from=valid_from,
        valid_until=valid_until, status_index=index, national_id_salt=salt,
        jws=jose_es256.sign(claims, key, kid=kid, typ="vc+jwt"), created_at=ctx.now)
    session.add(attestation)
    await session.flush()
    if request.outcome == "meets_standard":
        await open_clearance(session, ctx, attestation)
    await append(session, ctx, action="attestation.issue", object_type="attestation",
                 object_id=attestation.id,
                 body={"request": request.id, "worker": worker.id, "kid": kid,
                       "outcome": request.outcome, "status_index": index,
                       "valid_until": rfc3339(valid_until)})
    return attestation
