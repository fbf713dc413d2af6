"""Eligibility answers, one worker or a thousand.

Each worker's records (clearances with their checked signatures, requests, trainings,
commitments) are fetched in a fixed number of queries, not one per worker, and judged at the
time asked by the pure policy. Answers about now may use an `EligibilityCache`: it holds the
same records as last read and drops a worker's the moment anyone commits a change to them
(`vetting.read_cache`), so the judgement, made afresh on every call, is the one the database
would give (expiry included: it is a matter of
`at`, not of the records).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

import msgspec
from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from policies.eligibility import ClearanceFact, Decision, Facts, TrainingFact, evaluate
from vetting.attestations.urns import worker_urn
from vetting.changes import ROUTE_CHANGE, WORKER_CHANGE
from vetting.db import Database
from vetting.eligibility.signatures import AttestationChecker
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
from vetting.principal import Actor, Context
from vetting.read_cache import MISSING, ReadCache
from vetting.scoping import route_condition, worker_condition

COMMITMENT = "commitment"  # a row kind in the union below, never a training kind
ROUTE_ACTION = "routes.read"
CHECK_ACTION = "eligibility.read"


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


class RouteLike(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def active(self) -> bool: ...

    @property
    def stage(self) -> str | None: ...


class RouteBrief(msgspec.Struct, frozen=True, gc=False):
    id: str
    active: bool
    stage: str | None  # None: any stage will do


@dataclass(frozen=True, slots=True)
class Answer:
    worker_id: str
    worker: WorkerBrief | None
    decision: Decision


#: Who may see what is decided by these, so cached rows are kept per scope.
ScopeKey = tuple[str, str | None, str | None, str]


def scope_key(actor: Actor, action: str) -> ScopeKey:
    return (actor.role, actor.unit, actor.province, action)


#: Records and routes as a caller's scope last read them (None: not visible to that scope).
EligibilityCache = ReadCache[tuple[ScopeKey, str], Records | RouteBrief | None]


async def get_route(session: AsyncSession, ctx: Context, route_id: str,
                    action: str = ROUTE_ACTION) -> Route:
    route = await session.scalar(select(Route).where(Route.id == route_id,
                                                     route_condition(ctx.actor, action)))
    if route is None:
        raise NotFound("no such route")
    return route


def _route_key(ctx: Context, route_id: str, action: str) -> tuple[ScopeKey, str]:
    return (scope_key(ctx.actor, action), "route:" + route_id)


async def route_brief(session: AsyncSession, ctx: Context, route_id: str,
                      cache: EligibilityCache | None = None,
                      action: str = ROUTE_ACTION) -> RouteBrief:
    """`get_route` for eligibility checks, answered from `cache` while the database is unchanged."""
    if cache is None:
        route = await get_route(session, ctx, route_id, action)
        return RouteBrief(route.id, route.active, route.stage)
    key = _route_key(ctx, route_id, action)
    stamp = await cache.snapshot()
    found = cache.get(key)
    if found is MISSING:
        try:
            route = await get_route(session, ctx, route_id, action)
            found = RouteBrief(route.id, route.active, route.stage)
        except NotFound:
            found = None
        cache.put(stamp, key, found, depends_on=(ROUTE_CHANGE + route_id,))
    if not isinstance(found, RouteBrief):
        raise NotFound("no such route")
    return found


async def _load(session: AsyncSession, actor: Actor, ids: Sequence[str], action: str,
                signatures: AttestationChecker
                ) -> dict[str, Records]:
    """The records of the workers among `ids` that `actor` may see, in four queries."""
    workers = {row.id: WorkerBrief(row.id, row.full_name, row.employee_no, row.left_on)
               for row in (await session.execute(select(
                   Worker.id, Worker.full_name, Worker.employee_no, Worker.left_on).where(
                   Worker.id.in_(ids), worker_condition(actor, action)))).all()}
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


def _cached_records(cache: EligibilityCache, scope: ScopeKey, ids: list[str]
                    ) -> tuple[dict[str, Records], list[str]]:
    """The records `cache` holds for `ids` (the workers it knows are invisible are left out),
    and the ids it knows nothing about."""
    found: dict[str, Records] = {}
    missing: list[str] = []
    for worker_id in ids:
        entry = cache.get((scope, worker_id))
        if entry is MISSING:
            missing.append(worker_id)
        elif isinstance(entry, Records):
            found[worker_id] = entry
    return found, missing


async def _records(session: AsyncSession, ctx: Context, ids: list[str], action: str,
                   cache: EligibilityCache | None, signatures: AttestationChecker
                   ) -> dict[str, Records]:
    if cache is None:
        return await _load(session, ctx.actor, ids, action, signatures)
    scope = scope_key(ctx.actor, action)
    stamp = await cache.snapshot()
    found, missing = _cached_records(cache, scope, ids)
    if missing:
        loaded = await _load(session, ctx.actor, missing, action, signatures)
        for worker_id in missing:
            cache.put(stamp, (scope, worker_id), loaded.get(worker_id),
                      depends_on=(WORKER_CHANGE + worker_id,))
        found.update(loaded)
    return found


async def _states_at(session: AsyncSession, clearance_ids: list[str], at: datetime
                     ) -> dict[str, str]:
    """Each clearance's state at a past moment: the last event before it."""
    states: dict[str, str] = {}
    for clearance_id, to_state in (await session.execute(
            select(ClearanceEvent.clearance_id, ClearanceEvent.to_state).where(
                ClearanceEvent.clearance_id.in_(clearance_ids), ClearanceEvent.at <= at)
            .order_by(ClearanceEvent.at))).all():
        states[clearance_id] = to_state
    return states


def _latest(records: Records, at: datetime) -> ClearanceRecord | None:
    started = [c for c in records.clearances if c.valid_from <= at]
    return started[-1] if started else None


def facts_at(records: Records, at: datetime, route: RouteLike,
             past_states: dict[str, str] | None = None) -> Facts:
    """The facts as they stood at `at`. `past_states` (for a past `at`) replaces the state
    columns, which only say what is true now."""
    clearance = None
    latest = _latest(records, at)
    if latest is not None:
        state = latest.state if past_states is None else past_states.get(latest.id, "active")
        clearance = ClearanceFact(state=state, valid_from=latest.valid_from,
                                  valid_until=latest.valid_until,
                                  attestation_valid=latest.attestation_valid,
                                  stages=latest.stages)
    request_open, last_outcome, last_decided = False, None, None
    for request in records.requests:
        if request.submitted_at > at:
            continue
        if request.decided_at is not None and request.decided_at <= at:
            if last_decided is None or request.decided_at > last_decided:
                last_decided, last_outcome = request.decided_at, request.outcome
        elif not (request.state == "withdrawn" and request.updated_at <= at):
            request_open = True
    return Facts(worker_known=True, left_on=records.worker.left_on, clearance=clearance,
                 request_open=request_open, last_outcome=last_outcome,
                 trainings=records.trainings, commitment_dates=records.commitments,
                 route_active=route.active, route_stage=route.stage)


#: One question: (worker id, judged at, window end or None).
Question = tuple[str, datetime, datetime | None]


def _judge(questions: Sequence[Question], records: dict[str, Records], route: RouteLike, *,
           policy_version: str, past_states: dict[str, str] | None = None) -> list[Answer]:
    answers = []
    for worker_id, at, window_end in questions:
        found = records.get(worker_id)
        facts = Facts(worker_known=False) if found is None else facts_at(
            found, at, route, past_states)
        answers.append(Answer(worker_id, found.worker if found else None, evaluate(
            facts, at=at, window_end=window_end, policy_version=policy_version)))
    return answers


def _is_past(ctx: Context, at: datetime) -> bool:
    """A past `at` is answered from the recorded history, never from a cache."""
    return at < ctx.now


async def answer(session: AsyncSession, ctx: Context, route: RouteLike, worker_ids: Sequence[str],
                 *, at: datetime, window_end: datetime | None = None,
                 policy_version: str, signatures: AttestationChecker,
                 action: str = CHECK_ACTION, cache: EligibilityCache | None = None
                 ) -> list[Answer]:
    """One answer per requested id, in order; an id outside the caller's scope is unknown.

    `cache` serves answers about now (or later) only: the past is read from the history.
    """
    historical = _is_past(ctx, at)
    records = await _records(session, ctx, list(dict.fromkeys(worker_ids)), action,
                             None if historical else cache, signatures)
    past_states: dict[str, str] | None = None
    if historical and records:
        latest = [c.id for r in records.values() if (c := _latest(r, at)) is not None]
        past_states = await _states_at(session, latest, at) if latest else {}
    return _judge([(w, at, window_end) for w in worker_ids], records, route,
                  policy_version=policy_version, past_states=past_states)


async def answer_remaining(session: AsyncSession, ctx: Context, route: RouteLike,
                           windows: Sequence[tuple[str, datetime, datetime]], *,
                           policy_version: str, action: str,
                           signatures: AttestationChecker,
                           cache: EligibilityCache | None = None) -> list[Answer]:
    """What is left of each (worker, start, end) window, judged from the later of its start and
    now, one answer per window: a roster's lines, in the records' four queries (none for the
    workers `cache` holds: records are what is true now, and every window is judged from now
    or later)."""
    records = await _records(session, ctx, list(dict.fromkeys(w for w, _, _ in windows)),
                             action, cache, signatures)
    return _judge([(w, max(start, ctx.now), end) for w, start, end in windows], records, route,
                  policy_version=policy_version)


async def _answer_from_cache(ctx: Context, route_id: str, worker_ids: Sequence[str], *,
                             at: datetime, policy_version: str, cache: EligibilityCache
                             ) -> tuple[RouteBrief, list[Answer]] | None:
    """The answers when `cache` holds the route and every worker's records; None otherwise."""
    if _is_past(ctx, at) or await cache.snapshot() is None:
        return None
    route = cache.get(_route_key(ctx, route_id, ROUTE_ACTION))
    if not isinstance(route, RouteBrief):
        return None  # unknown, or known to be invisible: the reader path says which
    records, missing = _cached_records(cache, scope_key(ctx.actor, CHECK_ACTION),
                                       list(dict.fromkeys(worker_ids)))
    if missing:
        return None
    return route, _judge([(w, at, None) for w in worker_ids], records, route,
                         policy_version=policy_version)


async def check(database: Database, ctx: Context, route_id: str, worker_ids: Sequence[str], *,
                at: datetime, policy_version: str, signatures: AttestationChecker,
                cache: EligibilityCache | None = None) -> tuple[RouteBrief, list[Answer]]:
    """The eligibility API's question. A warm cache answers without creating a database session
    (about a tenth of a cached check); anything missing is read in one reader transaction,
    through the same `route_brief` and `answer` every other caller uses."""
    if cache is not None:
        cached = await _answer_from_cache(ctx, route_id, worker_ids, at=at,
                                          policy_version=policy_version, cache=cache)
        if cached is not None:
            return cached
    async with database.transaction(read_only=True) as session:
        route = await route_brief(session, ctx, route_id, cache)
        return route, await answer(session, ctx, route, worker_ids, at=at,
                                   policy_version=policy_version, signatures=signatures,
                                   cache=cache)
