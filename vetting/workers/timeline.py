"""A worker's timeline: the audit entries about the worker and about what belongs to it
(its requests, clearances, attestations, assignments and incidents), newest first, the kinds
of event filtered per role (`policies.timeline`) and scoped in the query: the police see the
requests routed to their unit only, and incidents as their incident scope says."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from policies.access import POLICE
from policies.timeline import SEES_ACTOR_IDS, TIMELINE
from vetting.models import (
    Assignment,
    Attestation,
    AuditEntry,
    Clearance,
    Incident,
    IncidentWorker,
    VettingRequest,
)
from vetting.principal import Context
from vetting.repositories import INCIDENTS, REQUESTS
from vetting.workers.service import get_worker


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    action: str
    actor_role: str
    outcome: str
    object_type: str | None
    object_id: str | None
    actor_id: str | None  # only for roles that may see who acted
    fields: list[str] | None  # a correction: which fields changed (never their values)


def _about(ctx: Context, worker_id: str) -> ColumnElement[bool]:
    """Entries whose object is the worker or one of its things the caller may see."""
    requests = select(VettingRequest.id).where(VettingRequest.worker_id == worker_id)
    incidents = select(IncidentWorker.incident_id).where(IncidentWorker.worker_id == worker_id)
    if ctx.actor.role in POLICE:
        requests = requests.where(REQUESTS.condition(ctx.actor, "requests.read"))
        incidents = select(Incident.id).where(Incident.id.in_(incidents),
                                              INCIDENTS.condition(ctx.actor, "incidents.read"))
    owned = {
        "worker": None,
        "vetting_request": requests,
        "clearance": select(Clearance.id).where(Clearance.worker_id == worker_id),
        "attestation": select(Attestation.id).where(Attestation.worker_id == worker_id),
        "assignment": select(Assignment.id).where(Assignment.worker_id == worker_id),
        "incident": incidents,
    }
    return or_(*(and_(AuditEntry.object_type == kind, AuditEntry.object_id == worker_id
                      if ids is None else AuditEntry.object_id.in_(ids))
                 for kind, ids in owned.items()))


def _kinds(role: str) -> ColumnElement[bool] | None:
    """The role's kinds of event as SQL; None: every kind."""
    if role not in TIMELINE:
        return false()
    kinds = TIMELINE[role]
    if kinds is None:
        return None
    return or_(*(AuditEntry.action.like(f"{k}%") if k.endswith(".") else AuditEntry.action == k
                 for k in kinds))


def _fields(entry: AuditEntry) -> list[str] | None:
    if entry.action != "worker.update":
        return None
    fields = json.loads(entry.body).get("fields")
    return [str(f) for f in fields] if isinstance(fields, list) else None


async def worker_timeline(session: AsyncSession, ctx: Context, worker_id: str, *, limit: int,
                          offset: int) -> tuple[list[Event], int]:
    """One page of the worker's events the caller may see, and how many there are; a worker
    outside the caller's scope is not found."""
    worker = await get_worker(session, ctx, worker_id)
    where = [_about(ctx, worker.id)]
    if (kinds := _kinds(ctx.actor.role)) is not None:
        where.append(kinds)
    total = await session.scalar(select(func.count()).select_from(AuditEntry).where(*where))
    rows = (await session.scalars(select(AuditEntry).where(*where)
                                  .order_by(AuditEntry.seq.desc()).limit(limit)
                                  .offset(offset))).all()
    show_actor = ctx.actor.role in SEES_ACTOR_IDS
    return [Event(at=e.created_at, action=e.action, actor_role=e.actor_role, outcome=e.outcome,
                  object_type=e.object_type, object_id=e.object_id,
                  actor_id=e.actor_id if show_actor else None, fields=_fields(e))
            for e in rows], int(total or 0)
