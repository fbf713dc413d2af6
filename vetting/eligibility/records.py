"""What eligibility reads about workers, as the caller's scope reaches them: each worker's
clearances with their checked signatures, requests, trainings and commitments, in a fixed
number of queries however many workers are asked about."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

import msgspec
from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from policies.eligibility import TrainingFact
from vetting.attestations.urns import worker_urn
from vetting.eligibility.signatures import AttestationChecker
from vetting.models import (
    Attestation,
    Clearance,
    ClearanceEvent,
    Commitment,
    Training,
    VettingRequest,
    Worker,
)
from vetting.principal import Actor
from vetting.repositories import WORKERS

COMMITMENT = "commitment"  # a row kind in the union below, never a training kind


class WorkerBrief(msgspec.Struct, frozen=True, gc=False):
    """What an eligibility answer may show of a worker: no dossier data."""

    id: str
    full_name: str
    employee_no: str
    left_on: date | None


class ClearanceRecord(msgspec.Struct, frozen=True, gc=False):
    """A clearance as stored, with what its attestation's signature vouches for."""

    id: str
    valid_from: datetime
    valid_until: datetime  # the signed date when the signature holds: rows cannot extend it
    state: str
    attestation_valid: bool
    stages: tuple[str, ...]  # as signed; none when the signature does not hold


class RequestRecord(msgspec.Struct, frozen=True, gc=False):
    state: str
    submitted_at: datetime
    decided_at: datetime | None
    outcome: str | None
    updated_at: datetime


class Records(msgspec.Struct, frozen=True, gc=False):
    """Everything eligibility looks at about one worker, whatever the time asked.

    These (and the parts they hold) are kept by the tens of thousands in the read cache:
    as structs the cyclic garbage collector never tracks (they hold no cycles), a full
    collection walks none of them. As tracked dataclasses, 50,000 of them made each full
    collection take about 170 ms, a stall of the whole server process."""

    worker: WorkerBrief
    clearances: tuple[ClearanceRecord, ...]  # oldest first
    requests: tuple[RequestRecord, ...]
    trainings: tuple[TrainingFact, ...]
    commitments: tuple[date, ...]


class RouteBrief(msgspec.Struct, frozen=True, gc=False):
    id: str
    active: bool
    stage: str | None  # None: any stage will do


async def load_records(session: AsyncSession, actor: Actor, ids: Sequence[str], action: str,
                signatures: AttestationChecker
                ) -> dict[str, Records]:
    """The records of the workers among `ids` that `actor` may see, in four queries."""
    workers = {row.id: WorkerBrief(row.id, row.full_name, row.employee_no, row.left_on)
               for row in (await session.execute(select(
                   Worker.id, Worker.full_name, Worker.employee_no, Worker.left_on).where(
                   Worker.id.in_(ids), WORKERS.condition(actor, action)))).all()}
    if not workers:
        return {}
    known = list(workers)
    clearances: dict[str, list[ClearanceRecord]] = defaultdict(list)
    for row in (await session.execute(
            select(Clearance.id, Clearance.worker_id, Clearance.valid_from,
                   Clearance.valid_until, Clearance.state, Attestation.jws)
            .join(Attestation, Attestation.id == Clearance.attestation_id)
            .where(Clearance.worker_id.in_(known)).order_by(Clearance.valid_from))).all():
        signed = await signatures.facts(session, row.jws)
        valid = (signed is not None and signed.subject == worker_urn(row.worker_id)
                 and signed.outcome == "meets_standard"
                 and signed.valid_until == row.valid_until)
        clearances[row.worker_id].append(ClearanceRecord(
            row.id, row.valid_from, signed.valid_until if signed else row.valid_until,
            row.state, valid, signed.stages if signed and valid else ()))
    requests: dict[str, list[RequestRecord]] = defaultdict(list)
    for row in (await session.execute(select(
            VettingRequest.worker_id, VettingRequest.state, VettingRequest.submitted_at,
            VettingRequest.decided_at, VettingRequest.outcome, VettingRequest.updated_at)
            .where(VettingRequest.worker_id.in_(known)))).all():
        requests[row.worker_id].append(RequestRecord(
            row.state, row.submitted_at, row.decided_at, row.outcome, row.updated_at))
    trainings: dict[str, list[TrainingFact]] = defaultdict(list)
    commitments: dict[str, list[date]] = defaultdict(list)
    records = union_all(  # trainings and commitments in one round trip
        select(Training.worker_id, Training.kind, Training.completed_on,
               Training.valid_until).where(Training.worker_id.in_(known)),
        select(Commitment.worker_id, literal(COMMITMENT), Commitment.signed_on,
               Commitment.signed_on).where(Commitment.worker_id.in_(known)))
    for worker_id, kind, start, until in (await session.execute(records)).all():
        if kind == COMMITMENT:
            commitments[worker_id].append(start)
        else:
            trainings[worker_id].append(TrainingFact(kind, start, until))
    return {w: Records(brief, tuple(clearances[w]), tuple(requests[w]), tuple(trainings[w]),
                       tuple(commitments[w])) for w, brief in workers.items()}


async def states_at(session: AsyncSession, clearance_ids: list[str], at: datetime
                     ) -> dict[str, str]:
    """Each clearance's state at a past moment: the last event before it."""
    states: dict[str, str] = {}
    for clearance_id, to_state in (await session.execute(
            select(ClearanceEvent.clearance_id, ClearanceEvent.to_state).where(
                ClearanceEvent.clearance_id.in_(clearance_ids), ClearanceEvent.at <= at)
            .order_by(ClearanceEvent.at))).all():
        states[clearance_id] = to_state
    return states


