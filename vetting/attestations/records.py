"""One signed attestation as its readers see it: the API's record and the printable sheet,
both in the scope of `clearance.read` (the worker's), so another unit's is not found."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from policies.access import POST_HR
from policies.vocabulary import STAGES
from vetting.errors import NotFound
from vetting.models import Attestation, VettingRequest
from vetting.principal import Context
from vetting.requests.service import get_request
from vetting.units import unit_names
from vetting.workers.service import get_worker


async def get_attestation(session: AsyncSession, ctx: Context,
                          attestation_id: str) -> Attestation:
    found = await session.get(Attestation, attestation_id)
    if found is None:
        raise NotFound("no such attestation")
    await get_worker(session, ctx, found.worker_id, action="clearance.read")  # scope, or 404
    return found


def sees_salt(ctx: Context, attestation: Attestation) -> bool:
    """The salt opens the national-ID digest: only for those who see the full ID anyway."""
    return ctx.actor.role == POST_HR or ctx.actor.unit == attestation.police_unit_code


async def for_request(session: AsyncSession, ctx: Context, request_id: str) -> str | None:
    """The id of the attestation that records the request's decision (None until decided)."""
    request = await get_request(session, ctx, request_id)
    return await session.scalar(select(Attestation.id).where(
        Attestation.request_id == request.id))


@dataclass(frozen=True, slots=True)
class Sheet:
    """What a printed attestation shows: who, which stages, until when, signed by whom."""

    attestation: Attestation
    full_name: str
    employee_no: str
    post_unit: str
    post_unit_name: str
    police_unit_name: str
    stages: tuple[str, ...]


async def sheet(session: AsyncSession, ctx: Context, attestation_id: str) -> Sheet:
    attestation = await get_attestation(session, ctx, attestation_id)
    worker = await get_worker(session, ctx, attestation.worker_id, action="clearance.read")
    request = await session.get(VettingRequest, attestation.request_id)
    assert request is not None
    names = await unit_names(session, (worker.post_unit_code, attestation.police_unit_code))
    asked = request.stages.split(",")
    return Sheet(attestation=attestation, full_name=worker.full_name,
                 employee_no=worker.employee_no, post_unit=worker.post_unit_code,
                 post_unit_name=names.get(worker.post_unit_code, worker.post_unit_code),
                 police_unit_name=names.get(attestation.police_unit_code,
                                            attestation.police_unit_code),
                 stages=tuple(s for s in STAGES if s in asked))


def verification_link(public_url: str, jws: str) -> str:
    """The address a printed attestation's QR code holds: the public check page with the
    attestation itself, so scanning it verifies the signature and the current status."""
    return f"{public_url}/verify?jws={quote(jws, safe='.-_')}"
