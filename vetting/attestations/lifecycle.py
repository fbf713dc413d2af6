"""Clearance life: active until valid_until (expiry is computed, no job needed), suspended
(reversible), revoked (final). Every change is versioned, kept as an event, audited, and
reflected in the status lists in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from policies.access import DISPATCHER, POST_HR
from policies.calendar import local_date
from policies.vocabulary import OPEN_STATES
from vetting.attestations import status
from vetting.audit.entries import append
from vetting.errors import Conflict, NotFound, require_version
from vetting.models import (
    Attestation,
    Clearance,
    ClearanceEvent,
    IncidentWorker,
    VettingRequest,
    Worker,
)
from vetting.notifications.outbox import Audience, publish
from vetting.principal import Context
from vetting.repositories import CLEARANCES
from vetting.routes.assignments import flag_blocked
from vetting.workers.service import get_worker

#: Reasons the registry itself gives for a change (codes; people read them in their language).
INCIDENT_REVIEW, EMPLOYMENT_ENDED, SUPERSEDED = "incident_review", "employment_ended", "superseded"
SYSTEM_CAUSES = frozenset({INCIDENT_REVIEW, EMPLOYMENT_ENDED, SUPERSEDED})
MANAGE = "clearance.manage"  # suspend, reinstate, revoke: the issuing unit's leads

#: action → (states it may start from, resulting state)
CHANGES: dict[str, tuple[tuple[str, ...], str]] = {
    "suspend": (("active",), "suspended"),
    "reinstate": (("suspended",), "active"),
    "revoke": (("active", "suspended"), "revoked"),
}


@dataclass(frozen=True, slots=True)
class ClearanceView:
    state: str
    valid_until: datetime | None
    attestation_id: str | None
    reason: str | None = None
    version: int | None = None
    police_unit: str | None = None


def effective_state(clearance: Clearance, at: datetime) -> str:
    if clearance.state == "active" and clearance.valid_until <= at:
        return "expired"
    return clearance.state


async def open_clearance(session: AsyncSession, ctx: Context, attestation: Attestation) -> None:
    """A new clearance; one still in force from an earlier decision is superseded (revoked,
    silently: the worker stays cleared), so exactly one attestation is ever in force."""
    for previous in (await session.scalars(select(Clearance).where(
            Clearance.worker_id == attestation.worker_id,
            Clearance.state.in_(("active", "suspended"))).with_for_update(key_share=True))).all():
        await apply_change(session, ctx, previous, "revoke",
                           SUPERSEDED, announce=False,
                           recorded_as="supersede")
    clearance = Clearance(worker_id=attestation.worker_id, attestation_id=attestation.id,
                          police_unit_code=attestation.police_unit_code,
                          # full precision (the signed validFrom has whole seconds), so the
                          # newest clearance always sorts last even within one second
                          valid_from=ctx.now, valid_until=attestation.valid_until,
                          state="active", updated_at=ctx.now)
    session.add(clearance)
    await session.flush()
    session.add(ClearanceEvent(clearance_id=clearance.id, at=ctx.now, action="issue",
                               to_state="active", actor_id=ctx.actor.id))


async def latest(session: AsyncSession, worker_id: str) -> Clearance | None:
    return await session.scalar(select(Clearance).where(Clearance.worker_id == worker_id)
                                .order_by(Clearance.valid_from.desc()).limit(1))


async def clearance_until(session: AsyncSession, worker_id: str, at: datetime) -> date | None:
    """Until when an active clearance holds (None when there is none in force)."""
    current = await latest(session, worker_id)
    if current is None or effective_state(current, at) != "active":
        return None
    return local_date(current.valid_until)


async def view(session: AsyncSession, ctx: Context, worker_id: str) -> ClearanceView:
    worker = await get_worker(session, ctx, worker_id, action="clearance.read")
    current = await latest(session, worker.id)
    last_request = await session.scalar(select(VettingRequest).where(
        VettingRequest.worker_id == worker.id).order_by(VettingRequest.submitted_at.desc())
        .limit(1))
    if current is not None:
        state = effective_state(current, ctx.now)
        if state == "active" or last_request is None or last_request.state not in OPEN_STATES:
            return ClearanceView(state=state, valid_until=current.valid_until,
                                 attestation_id=current.attestation_id, reason=current.reason,
                                 version=current.version, police_unit=current.police_unit_code)
    if last_request is not None and last_request.state in OPEN_STATES:
        return ClearanceView(state="pending", valid_until=None, attestation_id=None)
    if last_request is not None and last_request.state == "not_cleared":
        attestation_id = await session.scalar(select(Attestation.id).where(
            Attestation.request_id == last_request.id))
        return ClearanceView(state="not_cleared", valid_until=None,
                             attestation_id=attestation_id)
    return ClearanceView(state="none", valid_until=None, attestation_id=None)


def may_change(clearance: Clearance, action: str, at: datetime) -> bool:
    """Whether `action` may start from the clearance's state (an expired one stays so)."""
    sources = CHANGES[action][0]
    return clearance.state in sources and not (
        action == "reinstate" and effective_state(clearance, at) == "expired")


async def apply_change(session: AsyncSession, ctx: Context, clearance: Clearance, action: str,
                       reason: str | None, *, announce: bool = True,
                       recorded_as: str | None = None) -> Clearance:
    """`recorded_as` names the event differently (a renewal's `supersede` is a revocation in
    effect, but reports must not count it as one)."""
    target = CHANGES[action][1]
    current = effective_state(clearance, ctx.now)
    if not may_change(clearance, action, ctx.now):
        raise Conflict(f"cannot {action} a clearance that is {current}",
                       code="INVALID_TRANSITION", current_state=current)
    attestation = await session.get(Attestation, clearance.attestation_id)
    assert attestation is not None
    if action == "revoke":
        await status.set_status(session, ctx, purpose="revocation",
                                index=attestation.status_index, value=True)
    else:
        await status.set_status(session, ctx, purpose="suspension",
                                index=attestation.status_index, value=action == "suspend")
    clearance.state, clearance.reason, clearance.updated_at = target, reason, ctx.now
    session.add(ClearanceEvent(clearance_id=clearance.id, at=ctx.now,
                               action=recorded_as or action, to_state=target, reason=reason,
                               actor_id=ctx.actor.id))
    await session.flush()
    await append(session, ctx, action=f"clearance.{recorded_as or action}",
                 object_type="clearance",
                 object_id=clearance.id,
                 body={"worker": clearance.worker_id, "attestation": attestation.id,
                       "status_index": attestation.status_index})
    if target != "active" and announce:
        post_unit = await session.scalar(select(Worker.post_unit_code).where(
            Worker.id == clearance.worker_id))
        await publish(session, ctx, kind=f"clearance.{target}", object_type="worker",
                      object_id=clearance.worker_id, payload={"clearance": clearance.id},
                      audiences=[Audience(roles=(POST_HR, DISPATCHER), unit=post_unit)],
                      units=(clearance.police_unit_code,))
        await flag_blocked(session, ctx, clearance.worker_id, cause=f"clearance {target}")
    return clearance


async def unit_clearance(session: AsyncSession, ctx: Context, worker_id: str, *,
                         for_update: bool = False) -> Clearance:
    """The worker's latest clearance issued by the caller's police unit: the one its leads
    suspend, reinstate or revoke."""
    query = (CLEARANCES.statement(ctx.actor, MANAGE).where(Clearance.worker_id == worker_id)
             .order_by(Clearance.valid_from.desc()).limit(1))
    if for_update:  # FOR NO KEY UPDATE: inserts that refer to the clearance are not held up
        query = query.with_for_update(key_share=True)
    clearance = await session.scalar(query)
    if clearance is None:
        raise NotFound("no clearance issued by your unit for this worker")
    return clearance


@dataclass(frozen=True, slots=True)
class UnitClearance:
    """A list line: the clearance, its state as of now, and whose it is (no dossier data)."""

    clearance: Clearance
    state: str
    full_name: str
    employee_no: str


#: A clearance's state as of now, as the list filters it (expiry is computed, not stored).
def _state_condition(state: str, now: datetime) -> ColumnElement[bool]:
    if state == "active":
        return (Clearance.state == "active") & (Clearance.valid_until > now)
    if state == "expired":
        return (Clearance.state == "active") & (Clearance.valid_until <= now)
    return Clearance.state == state


async def list_unit_clearances(session: AsyncSession, ctx: Context, *, state: str | None,
                               limit: int, offset: int) -> tuple[list[UnitClearance], int]:
    """The clearances the caller's police unit issued, each worker's latest (the one
    `change` acts on), soonest to expire first."""
    mine = CLEARANCES.condition(ctx.actor, MANAGE)
    newest = (select(Clearance.worker_id, func.max(Clearance.valid_from).label("newest"))
              .where(mine).group_by(Clearance.worker_id).subquery())
    query = (select(Clearance, Worker.full_name, Worker.employee_no)
             .join(newest, (newest.c.worker_id == Clearance.worker_id)
                   & (newest.c.newest == Clearance.valid_from))
             .join(Worker, Worker.id == Clearance.worker_id)
             .where(mine))
    if state is not None:
        query = query.where(_state_condition(state, ctx.now))
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (await session.execute(query.order_by(Clearance.valid_until, Clearance.id)
                                  .limit(limit).offset(offset))).all()
    return [UnitClearance(c, effective_state(c, ctx.now), name, number)
            for c, name, number in rows], int(total)


async def change(session: AsyncSession, ctx: Context, worker_id: str, action: str, *,
                 reason: str | None, expected_version: int | None) -> Clearance:
    """Suspend, reinstate or revoke, by a lead of the issuing police unit only."""
    clearance = await unit_clearance(session, ctx, worker_id, for_update=True)
    require_version(clearance.version, expected_version, what="clearance")
    if action == "reinstate" and await _held_by_review(session, clearance.id):
        raise Conflict("an incident review holds this clearance; concluding the review lifts "
                       "the suspension", code="INCIDENT_REVIEW_OPEN")
    return await apply_change(session, ctx, clearance, action, reason)


async def _held_by_review(session: AsyncSession, clearance_id: str) -> bool:
    """Whether an incident review that suspended the clearance is still open: only its
    conclusion may lift the suspension, never a manual reinstate."""
    return await session.scalar(select(IncidentWorker.incident_id).where(
        IncidentWorker.clearance_id == clearance_id, IncidentWorker.resolution.is_(None))
        .limit(1)) is not None


async def revoke_on_leave(session: AsyncSession, ctx: Context, worker_id: str) -> list[str]:
    """Employment ended: every clearance still in force is revoked (system action, no scope)."""
    in_force = (await session.scalars(
        select(Clearance).where(Clearance.worker_id == worker_id,
                                Clearance.state.in_(("active", "suspended")))
        .with_for_update(key_share=True))).all()
    for clearance in in_force:
        await apply_change(session, ctx, clearance, "revoke", EMPLOYMENT_ENDED)
    return [c.id for c in in_force]
