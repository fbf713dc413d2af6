"""Assignments: only eligible workers, for a window their clearance and trainings cover from
start to end, never twice at once on one route. Whether an assignment is blocked is computed
when asked (an expiry needs no job); suspensions, revocations and departures are audited against
each assignment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from policies.access import DISPATCHER
from policies.eligibility import Decision
from policies.policy import Policy
from vetting.audit.entries import append
from vetting.eligibility.cache import EligibilityCache
from vetting.eligibility.records import WorkerBrief
from vetting.eligibility.service import answer, answer_remaining
from vetting.eligibility.signatures import AttestationChecker
from vetting.errors import Conflict, InvalidInput, NotFound
from vetting.models import Assignment, Route, Worker
from vetting.notifications.outbox import Audience, publish
from vetting.principal import Context
from vetting.repositories import ROUTES, WORKERS
from vetting.routes.service import get_route


class NotEligible(Conflict):
    """The refusal of an assignment, audited (`assignment.refuse`) before it is raised; the
    answer names each reason by its code."""

    code = "NOT_ELIGIBLE"
    audited = True

    def __init__(self, decision: Decision) -> None:
        super().__init__("the worker is not eligible for this route", eligible=False,
                         reasons=[r.code for r in decision.reasons])
        self.decision = decision


@dataclass(frozen=True, slots=True)
class RosterLine:
    assignment: Assignment
    worker: WorkerBrief | None
    decision: Decision


async def _judge_window(session: AsyncSession, ctx: Context, policy: Policy, route: Route,
                        worker_id: str, starts_at: datetime, ends_at: datetime | None,
                        signatures: AttestationChecker) -> Decision:
    """The window judged at its start (from the recorded history when that is past) and, while
    it is running, at now too: a clearance suspended since the start stops it. An open window
    ends at the start's answer's `valid_until`, the end that answer vouches for."""
    [first] = await answer(session, ctx, route, [worker_id], at=starts_at, window_end=ends_at,
                           policy_version=policy.version, action="assignments.manage",
                           signatures=signatures)
    end = ends_at or first.decision.valid_until
    if first.decision.eligible and end is not None and starts_at < ctx.now < end:
        [current] = await answer(session, ctx, route, [worker_id], at=ctx.now, window_end=end,
                                 policy_version=policy.version, action="assignments.manage",
                           signatures=signatures)
        if not current.decision.eligible:
            return current.decision
    return first.decision


async def create(session: AsyncSession, ctx: Context, policy: Policy, *, worker_id: str,
                 route_id: str, starts_at: datetime, ends_at: datetime | None,
                 signatures: AttestationChecker) -> Assignment:
    route = await get_route(session, ctx, route_id, "assignments.manage")
    # the lock serialises racing dispatchers on this worker
    worker = await WORKERS.get(session, ctx.actor, "assignments.manage", worker_id, lock=True)
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidInput("must be after starts_at", field="ends_at", code="DATE_ORDER")
    decision = await _judge_window(session, ctx, policy, route, worker.id, starts_at, ends_at,
                                   signatures)
    if not decision.eligible:
        await append(session, ctx, action="assignment.refuse", object_type="worker",
                     object_id=worker.id, outcome="denied",
                     body={"route": route.id, "reasons": [r.code for r in decision.reasons]})
        raise NotEligible(decision)
    ends_at = ends_at or decision.valid_until
    assert ends_at is not None
    overlapping = await session.scalar(select(Assignment.id).where(
        Assignment.worker_id == worker.id, Assignment.route_id == route.id,
        Assignment.ended_at.is_(None), Assignment.starts_at < ends_at,
        Assignment.ends_at > starts_at).limit(1))
    if overlapping is not None:
        raise Conflict("the worker already holds an overlapping assignment on this route",
                       code="ASSIGNMENT_OVERLAP", assignment_id=overlapping)
    assignment = Assignment(worker_id=worker.id, route_id=route.id, starts_at=starts_at,
                            ends_at=ends_at, created_by=ctx.actor.id, created_at=ctx.now)
    session.add(assignment)
    await session.flush()
    await append(session, ctx, action="assignment.create", object_type="assignment",
                 object_id=assignment.id, body={"worker": worker.id, "route": route.id,
                                                "policy_version": policy.version})
    return assignment


async def end(session: AsyncSession, ctx: Context, assignment_id: str, *,
              reason: str | None) -> Assignment:
    assignment = await session.scalar(
        select(Assignment).join(Route, Route.id == Assignment.route_id).join(
            Worker, Worker.id == Assignment.worker_id).where(
            Assignment.id == assignment_id, ROUTES.condition(ctx.actor, "assignments.manage"),
            WORKERS.condition(ctx.actor, "assignments.manage")).with_for_update())
    if assignment is None:
        raise NotFound("no such assignment")
    if assignment.ended_at is not None:
        raise Conflict("the assignment has already ended", code="ALREADY_ENDED")
    assignment.ended_at, assignment.end_reason = ctx.now, reason
    await session.flush()
    await append(session, ctx, action="assignment.end", object_type="assignment",
                 object_id=assignment.id, body={"reason_given": reason is not None})
    return assignment


async def roster(session: AsyncSession, ctx: Context, policy: Policy, route_id: str, *,
                 signatures: AttestationChecker, cache: EligibilityCache | None = None
                 ) -> tuple[Route, list[RosterLine]]:
    """Current and future assignments of a route, each judged over what is left of its window,
    as `create` would judge it now."""
    route = await get_route(session, ctx, route_id, "routes.read")
    assignments = (await session.scalars(select(Assignment).where(
        Assignment.route_id == route.id, Assignment.ended_at.is_(None),
        Assignment.ends_at > ctx.now).order_by(Assignment.starts_at))).all()
    answers = await answer_remaining(
        session, ctx, route, [(a.worker_id, a.starts_at, a.ends_at) for a in assignments],
        policy_version=policy.version, action="routes.read",
        signatures=signatures, cache=cache) if assignments else []
    return route, [RosterLine(a, found.worker, found.decision)
                   for a, found in zip(assignments, answers, strict=True)]


async def flag_blocked(session: AsyncSession, ctx: Context, worker_id: str, *, cause: str,
                       end_them: bool = False) -> list[str]:
    """Audit (and on departure, end) the worker's current assignments when a clearance lapses."""
    current = (await session.scalars(select(Assignment).where(
        Assignment.worker_id == worker_id, Assignment.ended_at.is_(None),
        Assignment.ends_at > ctx.now).with_for_update())).all()
    post_unit = await session.scalar(select(Worker.post_unit_code).where(
        Worker.id == worker_id)) if current else None
    for assignment in current:
        if end_them:
            assignment.ended_at, assignment.end_reason = ctx.now, cause
        await append(session, ctx, action="assignment.ended" if end_them else
                     "assignment.blocked", object_type="assignment", object_id=assignment.id,
                     body={"worker": worker_id, "route": assignment.route_id, "cause": cause})
        province = await session.scalar(select(Route.province_code).where(
            Route.id == assignment.route_id))
        await publish(session, ctx, kind="assignment.blocked", object_type="assignment",
                      object_id=assignment.id, audiences=[Audience((DISPATCHER,),
                                                                   province=province)],
                      payload={"route": assignment.route_id, "worker": worker_id,
                               "ended": end_them}, units=(post_unit,) if post_unit else ())
    return [a.id for a in current]


async def list_assignments(session: AsyncSession, ctx: Context, *, route_id: str | None,
                           worker_id: str | None, active: bool | None, limit: int,
                           offset: int) -> tuple[list[Assignment], int]:
    """A dispatcher's assignments: routes of their province, workers of their unit (as `end`
    scopes them). Active means not ended and not yet over; newest start first."""
    query = select(Assignment).join(Route, Route.id == Assignment.route_id).join(
        Worker, Worker.id == Assignment.worker_id).where(
        ROUTES.condition(ctx.actor, "assignments.manage"),
        WORKERS.condition(ctx.actor, "assignments.manage"))
    if route_id is not None:
        query = query.where(Assignment.route_id == route_id)
    if worker_id is not None:
        query = query.where(Assignment.worker_id == worker_id)
    running = Assignment.ended_at.is_(None) & (Assignment.ends_at > ctx.now)
    if active is not None:
        query = query.where(running if active else ~running)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(query.order_by(Assignment.starts_at.desc(), Assignment.id)
                                 .limit(limit).offset(offset))
    return list(rows.all()), int(total)


async def blocked_count(session: AsyncSession, ctx: Context, policy: Policy, *,
                        signatures: AttestationChecker, cache: EligibilityCache | None = None
                        ) -> int:
    """How many of the dispatcher's running and coming assignments (scoped as
    `list_assignments`) a roster would show blocked now, judged route by route as `roster`
    judges them."""
    rows = (await session.execute(select(Assignment, Route).join(
        Route, Route.id == Assignment.route_id).join(Worker, Worker.id == Assignment.worker_id)
        .where(ROUTES.condition(ctx.actor, "assignments.manage"),
               WORKERS.condition(ctx.actor, "assignments.manage"),
               Assignment.ended_at.is_(None), Assignment.ends_at > ctx.now)
        .order_by(Assignment.route_id, Assignment.starts_at))).all()
    by_route: dict[str, tuple[Route, list[Assignment]]] = {}
    for assignment, route in rows:
        by_route.setdefault(route.id, (route, []))[1].append(assignment)
    blocked = 0
    for route, assignments in by_route.values():
        answers = await answer_remaining(
            session, ctx, route, [(a.worker_id, a.starts_at, a.ends_at) for a in assignments],
            policy_version=policy.version, action="assignments.manage", signatures=signatures,
            cache=cache)
        blocked += sum(not found.decision.eligible for found in answers)
    return blocked
