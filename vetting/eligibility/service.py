"""Eligibility answers, one worker or a thousand: facts are fetched in a fixed number of
queries (not one per worker) as of the time asked, then judged by the pure policy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from policies.eligibility import ClearanceFact, Decision, Facts, TrainingFact, evaluate
from vetting.attestations.urns import worker_urn
from vetting.eligibility.signatures import checker
from vetting.errors import NotFound
from vetting.models import (
    Attestation,
    Clearance,
    ClearanceEvent,
    Commitment,
    Route,
    Training,
    VettingRequest,
    Worker,
)
from vetting.principal import Context
from vetting.scoping import route_condition, worker_condition

COMMITMENT = "commitment"  # a row kind in the union below, never a training kind


@dataclass(frozen=True, slots=True)
class WorkerBrief:
    """What an eligibility answer may show of a worker: no dossier data."""

    id: str
    full_name: str
    employee_no: str
    left_on: date | None


@dataclass(frozen=True, slots=True)
class Answer:
    worker_id: str
    worker: WorkerBrief | None
    decision: Decision


async def get_route(session: AsyncSession, ctx: Context, route_id: str,
                    action: str = "routes.read") -> Route:
    route = await session.scalar(select(Route).where(Route.id == route_id,
                                                     route_condition(ctx.actor, action)))
    if route is None:
        raise NotFound("no such route")
    return route


async def _clearances(session: AsyncSession, ids: Sequence[str], at: datetime, *,
                      historical: bool) -> dict[str, ClearanceFact]:
    rows = (await session.execute(
        select(Clearance.id, Clearance.worker_id, Clearance.valid_from, Clearance.valid_until,
               Clearance.state, Attestation.jws)
        .join(Attestation, Attestation.id == Clearance.attestation_id)
        .where(Clearance.worker_id.in_(ids), Clearance.valid_from <= at)
        .order_by(Clearance.valid_from))).all()
    latest = {row.worker_id: row for row in rows}
    if not latest:
        return {}
    # Now, the state column is the answer; in the past, the last event before `at` is.
    states: dict[str, str] = {row.id: row.state for row in latest.values()}
    if historical:
        states = {}
        for clearance_id, to_state in (await session.execute(
                select(ClearanceEvent.clearance_id, ClearanceEvent.to_state).where(
                    ClearanceEvent.clearance_id.in_([r.id for r in latest.values()]),
                    ClearanceEvent.at <= at).order_by(ClearanceEvent.at))).all():
            states[clearance_id] = to_state
    facts: dict[str, ClearanceFact] = {}
    for worker_id, clearance in latest.items():
        signed = await checker.facts(session, clearance.jws)
        valid = (signed is not None and signed.subject == worker_urn(worker_id)
                 and signed.outcome == "meets_standard")
        facts[worker_id] = ClearanceFact(
            state=states.get(clearance.id, "active"), valid_from=clearance.valid_from,
            # the signed date is authoritative: editing the row cannot extend a clearance
            valid_until=signed.valid_until if signed else clearance.valid_until,
            attestation_valid=valid and signed is not None
            and signed.valid_until == clearance.valid_until)
    return facts


async def _requests(session: AsyncSession, ids: Sequence[str], at: datetime
                    ) -> tuple[set[str], dict[str, str]]:
    open_at: set[str] = set()
    last_outcome: dict[str, tuple[datetime, str]] = {}
    rows = await session.execute(select(
        VettingRequest.worker_id, VettingRequest.state, VettingRequest.submitted_at,
        VettingRequest.decided_at, VettingRequest.outcome, VettingRequest.updated_at)
        .where(VettingRequest.worker_id.in_(ids), VettingRequest.submitted_at <= at))
    for worker_id, state, _submitted, decided, outcome, updated in rows.all():
        if decided is not None and decided <= at:
            if worker_id not in last_outcome or decided > last_outcome[worker_id][0]:
                last_outcome[worker_id] = (decided, str(outcome))
        elif not (state == "withdrawn" and updated <= at):
            open_at.add(worker_id)
    return open_at, {w: o for w, (_, o) in last_outcome.items()}


async def answer(session: AsyncSession, ctx: Context, route: Route, worker_ids: Sequence[str],
                 *, at: datetime, window_end: datetime | None = None,
                 policy_version: str, action: str = "eligibility.read") -> list[Answer]:
    """One answer per requested id, in order; an id outside the caller's scope is unknown."""
    ids = list(dict.fromkeys(worker_ids))
    workers = {row.id: WorkerBrief(row.id, row.full_name, row.employee_no, row.left_on)
               for row in (await session.execute(select(
                   Worker.id, Worker.full_name, Worker.employee_no, Worker.left_on).where(
                   Worker.id.in_(ids), worker_condition(ctx.actor, action)))).all()}
    known = list(workers)
    clearances = await _clearances(session, known, at, historical=at < ctx.now) if known \
        else {}
    open_requests, outcomes = await _requests(session, known, at) if known else (set(), {})
    trainings: dict[str, list[TrainingFact]] = defaultdict(list)
    commitments: dict[str, list[date]] = defaultdict(list)
    if known:  # trainings and commitments in one round trip
        records = union_all(
            select(Training.worker_id, Training.kind, Training.completed_on,
                   Training.valid_until).where(Training.worker_id.in_(known)),
            select(Commitment.worker_id, literal(COMMITMENT), Commitment.signed_on,
                   Commitment.signed_on).where(Commitment.worker_id.in_(known)))
        for worker_id, kind, start, until in (await session.execute(records)).all():
            if kind == COMMITMENT:
                commitments[worker_id].append(start)
            else:
                trainings[worker_id].append(TrainingFact(kind, start, until))
    answers = []
    for worker_id in worker_ids:
        worker = workers.get(worker_id)
        facts = Facts(worker_known=False) if worker is None else Facts(
            worker_known=True, left_on=worker.left_on, clearance=clearances.get(worker_id),
            request_open=worker_id in open_requests, last_outcome=outcomes.get(worker_id),
            trainings=trainings[worker_id], commitment_dates=commitments[worker_id],
            route_active=route.active)
        answers.append(Answer(worker_id, worker, evaluate(
            facts, at=at, window_end=window_end, policy_version=policy_version)))
    return answers
