"""Training, signed commitments and the end of employment: the non-police eligibility facts."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
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


def training_until(ctx: Context, policy: Policy, *, completed_on: date,
                   valid_until: date | None) -> date:
    """The day a training holds to: what the certificate says, never later than policy allows."""
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
    return until


def new_training(ctx: Context, worker: Worker, *, kind: str, completed_on: date,
                 until: date) -> Training:
    return Training(worker_id=worker.id, kind=kind, completed_on=completed_on,
                    valid_until=until, recorded_by=ctx.actor.id, created_at=ctx.now)


async def audit_training(session: AsyncSession, ctx: Context, training: Training,
                         **more: str) -> None:
    await append(session, ctx, action="worker.training", object_type="worker",
                 object_id=training.worker_id,
                 body={"training": training.id, "kind": training.kind,
                       "valid_until": training.valid_until.isoformat(), **more})


async def add_training(session: AsyncSession, ctx: Context, policy: Policy, *, worker_id: str,
                       kind: str, completed_on: date, valid_until: date | None) -> Training:
    worker = await _active_worker(session, ctx, worker_id)
    until = training_until(ctx, policy, completed_on=completed_on, valid_until=valid_until)
    training = new_training(ctx, worker, kind=kind, completed_on=completed_on, until=until)
    session.add(training)
    await session.flush()
    await audit_training(session, ctx, training)
    return training


def check_commitment(ctx: Context, *, signed_on: date, document_sha256: str) -> None:
    _not_in_future(signed_on, ctx, "signed_on")
    if not _SHA256.match(document_sha256):
        raise InvalidInput("must be 64 lowercase hexadecimal characters",
                           field="document_sha256", code="INVALID_DIGEST")


def new_commitment(ctx: Context, worker: Worker, *, signed_on: date,
                   document_sha256: str) -> Commitment:
    return Commitment(worker_id=worker.id, signed_on=signed_on,
                      document_sha256=document_sha256, recorded_by=ctx.actor.id,
                      created_at=ctx.now)


async def audit_commitment(session: AsyncSession, ctx: Context, commitment: Commitment,
                           **more: str) -> None:
    await append(session, ctx, action="worker.commitment", object_type="worker",
                 object_id=commitment.worker_id,
                 body={"commitment": commitment.id,
                       "document_sha256": commitment.document_sha256, **more})


async def add_commitment(session: AsyncSession, ctx: Context, *, worker_id: str,
                         signed_on: date, document_sha256: str) -> Commitment:
    worker = await _active_worker(session, ctx, worker_id)
    check_commitment(ctx, signed_on=signed_on, document_sha256=document_sha256)
    commitment = new_commitment(ctx, worker, signed_on=signed_on,
                                document_sha256=document_sha256)
    session.add(commitment)
    await session.flush()
    await audit_commitment(session, ctx, commitment)
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
    ).with_for_update(key_share=True))).all()
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


async def _records(session: AsyncSession, ctx: Context, worker_id: str,
                   model: type[Training] | type[Commitment], newest: ColumnElement[object], *,
                   limit: int, offset: int) -> tuple[list[Any], int]:
    worker = await get_worker(session, ctx, worker_id)
    where = model.worker_id == worker.id
    total = await session.scalar(select(func.count()).select_from(model).where(where))
    rows = (await session.scalars(select(model).where(where).order_by(
        newest.desc(), model.created_at.desc(), model.id).limit(limit).offset(offset))).all()
    return list(rows), int(total or 0)


async def list_trainings(session: AsyncSession, ctx: Context, worker_id: str, *, limit: int,
                         offset: int) -> tuple[list[Training], int]:
    """The worker's training records, latest completion first, for whoever may read it."""
    return await _records(session, ctx, worker_id, Training, Training.completed_on,
                          limit=limit, offset=offset)


async def list_commitments(session: AsyncSession, ctx: Context, worker_id: str, *, limit: int,
                           offset: int) -> tuple[list[Commitment], int]:
    """The worker's signed commitments, latest first, for whoever may read it."""
    return await _records(session, ctx, worker_id, Commitment, Commitment.signed_on,
                          limit=limit, offset=offset)
