"""Eligibility answers, one worker or a thousand.

Each worker's records (`records`: clearances with their checked signatures, requests,
trainings, commitments) are read in a fixed number of queries, not one per worker, and judged
at the time asked by the pure policy. Answers about now may come from the read cache
(`cache`), which drops a worker's records the moment anyone commits a change to them, so the
judgement, made afresh on every call, is the one the database would give (expiry included:
it is a matter of `at`, not of the records).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from policies.eligibility import ClearanceFact, Decision, Facts, evaluate
from vetting.db import Database
from vetting.eligibility.cache import (
    ROUTE_ACTION,
    EligibilityCache,
    cached_records,
    records_of,
    route_brief,
    route_key,
    scope_key,
)
from vetting.eligibility.records import (
    ClearanceRecord,
    Records,
    RouteBrief,
    WorkerBrief,
    states_at,
)
from vetting.eligibility.signatures import AttestationChecker
from vetting.principal import Context

CHECK_ACTION = "eligibility.read"


class RouteLike(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def active(self) -> bool: ...

    @property
    def stage(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Answer:
    worker_id: str
    worker: WorkerBrief | None
    decision: Decision


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
    records = await records_of(session, ctx, list(dict.fromkeys(worker_ids)), action,
                             None if historical else cache, signatures)
    past_states: dict[str, str] | None = None
    if historical and records:
        latest = [c.id for r in records.values() if (c := _latest(r, at)) is not None]
        past_states = await states_at(session, latest, at) if latest else {}
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
    records = await records_of(session, ctx, list(dict.fromkeys(w for w, _, _ in windows)),
                             action, cache, signatures)
    return _judge([(w, max(start, ctx.now), end) for w, start, end in windows], records, route,
                  policy_version=policy_version)


async def _answer_from_cache(ctx: Context, route_id: str, worker_ids: Sequence[str], *,
                             at: datetime, policy_version: str, cache: EligibilityCache
                             ) -> tuple[RouteBrief, list[Answer]] | None:
    """The answers when `cache` holds the route and every worker's records; None otherwise."""
    if _is_past(ctx, at) or await cache.snapshot() is None:
        return None
    route = cache.get(route_key(ctx, route_id, ROUTE_ACTION))
    if not isinstance(route, RouteBrief):
        return None  # unknown, or known to be invisible: the reader path says which
    records, missing = cached_records(cache, scope_key(ctx.actor, CHECK_ACTION),
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
