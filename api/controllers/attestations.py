"""Clearances, attestations, their verification, and the public status lists."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from api.controllers.vetting_requests import expected_version
from api.i18n import cause, language_of
from api.problems import documented
from api.rate_limit import RATE_LIMITED
from api.schemas import Strict
from api.state import ActingContext, Services, Transaction
from vetting.attestations import lifecycle, records, status, unit_keys
from vetting.attestations.checking import check_attestation
from vetting.errors import NotFound

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class ReasonIn(Strict):
    reason: Reason
    version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class ReinstateIn(Strict):
    reason: Reason | None = None
    version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class VerifyIn(Strict):
    jws: Annotated[str, msgspec.Meta(min_length=1, max_length=65_536)]


class ClearanceOut(msgspec.Struct, kw_only=True):
    state: Literal["none", "pending", "active", "expired", "suspended", "revoked",
                   "not_cleared"]
    valid_until: datetime | None
    attestation_id: str | None
    reason: str | None = None
    """Why it last changed: the police lead's words, or the registry's cause in words."""
    reason_code: str | None = None
    """Set when the registry itself caused the change: incident_review, employment_ended,
    superseded."""
    version: int | None = None
    police_unit: str | None = None


class AttestationOut(msgspec.Struct, kw_only=True):
    id: str
    jws: str
    worker_id: str
    request_id: str
    police_unit: str
    kid: str
    outcome: str
    valid_from: datetime
    valid_until: datetime
    status_index: int
    national_id_salt: str | None


class VerifyOut(msgspec.Struct, kw_only=True):
    valid: bool
    reasons: list[str]
    claims: dict[str, Any] | None


def reason_words(language: str, reason: str | None) -> dict[str, str | None]:
    """Why a clearance last changed: a lead's words as typed, a registry cause in words."""
    if reason in lifecycle.SYSTEM_CAUSES:
        return {"reason": cause(language, reason), "reason_code": reason}
    return {"reason": reason, "reason_code": None}


def _clearance(view: lifecycle.ClearanceView, language: str) -> ClearanceOut:
    return ClearanceOut(state=view.state, valid_until=view.valid_until,  # type: ignore[arg-type]
                        attestation_id=view.attestation_id, **reason_words(language, view.reason),
                        version=view.version, police_unit=view.police_unit)


class ClearanceController(Controller):
    path = "/api/v1/workers/{worker_id:str}/clearance"
    tags = ["clearances"]  # noqa: RUF012

    @get("/", opt={"action": "clearance.read", "read_only": True},
         responses=documented(401, 403, 404))
    async def read(self, request: Request[Any, Any, Any], worker_id: FromPath[str], db: Transaction,
                   ctx: ActingContext) -> ClearanceOut:
        return _clearance(await lifecycle.view(db, ctx, worker_id), language_of(request.scope))

    async def _change(self, request: Request[Any, Any, Any], worker_id: str, action: str,
                      reason: str | None, version: int | None, db: Transaction, ctx: ActingContext
                      ) -> ClearanceOut:
        current = await lifecycle.change(db, ctx, worker_id, action, reason=reason,
                                         expected_version=expected_version(request, version))
        return ClearanceOut(state=lifecycle.effective_state(current, ctx.now),
                             # type: ignore[arg-type]
                            valid_until=current.valid_until,
                            attestation_id=current.attestation_id,
                            **reason_words(language_of(request.scope), current.reason),
                            version=current.version, police_unit=current.police_unit_code)

    @post("/suspend", opt={"action": "clearance.manage"}, status_code=200,
          responses=documented(400, 401, 403, 404, 409))
    async def suspend(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                      data: JSONBody[ReasonIn], db: Transaction,
                      ctx: ActingContext) -> ClearanceOut:
        return await self._change(request, worker_id, "suspend", data.reason, data.version, db,
                                  ctx)

    @post("/reinstate", opt={"action": "clearance.manage"}, status_code=200,
          responses=documented(400, 401, 403, 404, 409))
    async def reinstate(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                        db: Transaction, ctx: ActingContext,
                        data: JSONBody[ReinstateIn | None] = None) -> ClearanceOut:
        return await self._change(request, worker_id, "reinstate", data and data.reason,
                                  data and data.version, db, ctx)

    @post("/revoke", opt={"action": "clearance.manage"}, status_code=200,
          responses=documented(400, 401, 403, 404, 409))
    async def revoke(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                     data: JSONBody[ReasonIn], db: Transaction, ctx: ActingContext) -> ClearanceOut:
        return await self._change(request, worker_id, "revoke", data.reason, data.version, db,
                                  ctx)


class AttestationController(Controller):
    path = "/api/v1/attestations"
    tags = ["attestations"]  # noqa: RUF012

    @get("/{attestation_id:str}", opt={"action": "clearance.read", "read_only": True},
         responses=documented(401, 403, 404))
    async def read(self, attestation_id: FromPath[str], db: Transaction,
                   ctx: ActingContext) -> AttestationOut:
        found = await records.get_attestation(db, ctx, attestation_id)
        salt = found.national_id_salt if records.sees_salt(ctx, found) else None
        return AttestationOut(id=found.id, jws=found.jws, worker_id=found.worker_id,
                              request_id=found.request_id, police_unit=found.police_unit_code,
                              kid=found.kid, outcome=found.outcome, valid_from=found.valid_from,
                              valid_until=found.valid_until, status_index=found.status_index,
                              national_id_salt=salt)

    @post("/verify", opt={"public": True, "read_only": True, RATE_LIMITED: True},
          status_code=200, security=[], responses=documented(400, 429))
    async def verify(self, data: JSONBody[VerifyIn], db: Transaction,
                     services: Services) -> VerifyOut:
        result = await check_attestation(db, services.keys, data.jws, now=time.time())
        return VerifyOut(valid=result.valid, reasons=result.reasons, claims=result.claims)


class StatusListController(Controller):
    path = "/api/v1/status-lists"
    tags = ["attestations"]  # noqa: RUF012

    @get("/{purpose:str}", opt={"public": True, "read_only": True},
         responses=documented(404), media_type="application/vc+jwt")
    async def read(self, purpose: FromPath[str], db: Transaction, ctx: ActingContext,
                   services: Services
                   ) -> Response[bytes]:
        if purpose not in status.PURPOSES:
            raise NotFound("the status lists are 'revocation' and 'suspension'")
        token = await status.signed_list(db, ctx, services.keys, purpose=purpose,
                                         public_url=services.settings.public_url)
        return Response(token.encode(), media_type="application/vc+jwt",
                        headers={"Cache-Control": "public, max-age=60"})


async def published_keys(db: Transaction, services: Services) -> list[dict[str, Any]]:
    """Every verification key the registry publishes: units' attestation keys, the status
    list key and the audit log key."""
    return [*await unit_keys.published(db, services.keys.unit_keys), services.keys.status_jwk(),
            services.keys.audit_jwk()]

