"""Training, signed commitments and the end of employment: the non-police eligibility facts."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from policies.policy import Policy
from policies.validity import add_months
from policies.vocabulary import OPEN_STATES
from vetting.attestations.lifecycle import EMPLOYMENT_ENDED, revoke_on_leave
from vetting.audit.entries import append
from vetting.errors import Conflict, InvalidInput
from vetting.models import Commitment, Training, VettingEvent, VettingRequest, Worker
from vetting.principal import Context
from vetting.routes.assignments import flag_blocked
from vetting.workers.service import get_worker

TRAINING_KINDS = ("postal_operations", "kt1_security")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
EARLIEST = date(1990, 1, 1)


def _not_in_future(value: date, ctx: Context, field: str) -> None:
    if value > ctx.today:
        raise InvalidInput("the date cannot be in the future", field=field, code="DATE_IN_FUTURE")
    if value < EARLIEST:
        raise InvalidInput(f"the date cannot be before {EARLIEST.isoformat()}", field=field,
                           code="DATE_TOO_EARLY")


async def _active_worker(session: AsyncSession, ctx: Context, worker_id: str) -> Worker:
    worker = await get_worker(session, ctx, worker_id, action="workers.record", for_update=True)
    if worker.left_on is not None:
        raise Conflict("the worker has left the post", code="EMPLOYMENT_ENDED")
    return worker


async def add_training(session: AsyncSession, ctx: Context, policy: Policy, *, worker_id: str,
                       kind: str, completed_on: date, valid_until: date | None) -> Training:
    worker = await _active_worker(session, ctx, worker_id)
    _not_in_future(completed_on, ctx, "completed_on")
    longest = add_months(completed_on, policy.training_validity_months)
    until = valid_until or longest
    if until > longest:  # a certificate may lapse sooner than policy says, never later
        raise InvalidInput(f"must not be after {longest.isoformat()} "
                           f"({policy.training_validity_months} months after completed_on)",
                           field="valid_until", code="TRAINING_VALIDITY_EXCEEDS_POLICY",
                           latest=longest.isoformat(), months=policy.training_validity_months)
    if until <= completed_on:
        raise InvalidInput("must be after completed_on", field="valid_until",
                           code="DATE_ORDER")
    training = Training(worker_id=worker.id, kind=kind, completed_on=completed_on,
                        valid_until=until, recorded_by=ctx.actor.id, created_at=ctx.now)
    session.add(training)
    await session.flush()
    await append(session, ctx, action="worker.training", object_type="worker",
                 object_id=worker.id, body={"training": training.id, "kind": kind,
                                            "valid_until": until.isoformat()})
    return training


async def add_commitment(session: AsyncSession, ctx: Context, *, worker_id: str,
                         signed_on: date, document_sha256: str) -> Commitment:
    worker = await _active_worker(session, ctx, worker_id)
    _not_in_future(signed_on, ctx, "signed_on")
    if not _SHA256.match(document_sha256):
        raise InvalidInput("must be 64 lowercase hexadecimal characters",
                           field="document_sha256", code="INVALID_DIGEST")
    commitment = Commitment(worker_id=worker.id, signed_on=signed_on,
                            document_sha256=document_sha256, recorded_by=ctx.actor.id,
                            created_at=ctx.now)
    session.add(commitment)
    await session.flush()
    await append(session, ctx, action="worker.commitment", object_type="worker",
                 object_id=worker.id, body={"commitment": commitment.id,
                                            "document_sha256": document_sha256})
    return commitment


async def record_leave(session: AsyncSession, ctx: Context, *, worker_id: str, left_on: date,
                       reason: str) -> Worker:
    """Employment ends: open requests are withdrawn; history stays (nothing is deleted)."""
    worker = await _active_worker(session, ctx, worker_id)
    if not EARLIEST <= left_on <= ctx.today + timedelta(days=366):
        raise InvalidInput("must lie between 1990 and one year from today", field="left_on",
                           code="DATE_OUT_OF_RANGE")
    worker.left_on, worker.leave_reason = left_on, reason
    open_requests = (await session.scalars(select(VettingRequest).where(
        VettingRequest.worker_id == worker.id, VettingRequest.state.in_(OPEN_STATES)
    ).with_for_update())).all()
    for request in open_requests:
        session.add(VettingEvent(request_id=request.id, at=ctx.now, actor_id=ctx.actor.id,
                                 action="withdraw", from_state=request.state,
                                 to_state="withdrawn",
                                 police_unit_code=request.police_unit_code))
        request.state = "withdrawn"
    await session.flush()
    ended = await flag_blocked(session, ctx, worker.id, cause=EMPLOYMENT_ENDED,
                               end_them=True)
    revoked = await revoke_on_leave(session, ctx, worker.id)
    await append(session, ctx, action="worker.leave", object_type="worker", object_id=worker.id,
                 body={"left_on": left_on.isoformat(), "revoked_clearances": revoked,
                       "ended_assignments": ended,
                       "withdrawn_requests": [r.id for r in open_requests]})
    return worker


async def history(session: AsyncSession, worker_id: str) -> tuple[list[Training],
                                                                   list[Commitment]]:
    trainings = (await session.scalars(select(Training).where(Training.worker_id == worker_id)
                                       .order_by(Training.completed_on))).all()
    commitments = (await session.scalars(select(Commitment).where(
        Commitment.worker_id == worker_id).order_by(Commitment.signed_on))).all()
    return list(trainings), list(commitments)
