"""Reporting an incident suspends the involved workers' clearances (for the kinds policy
names) in the same transaction; a police lead of the issuing unit concludes each review by
reinstating or revoking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from policies.access import INSPECTOR, POLICE, POST_HR, scope_for
from policies.policy import Policy
from policies.routing import police_unit_for
from vetting.attestations import lifecycle
from vetting.audit.entries import append
from vetting.errors import Conflict, InvalidInput, NotFound
from vetting.models import Clearance, Incident, IncidentWorker, Route, Worker
from vetting.notifications.outbox import Audience, publish
from vetting.personal_data import DataProtection
from vetting.principal import Context
from vetting.reference_data import units
from vetting.repositories import INCIDENTS, WORKERS

RESOLUTIONS = {"reinstate": "reinstated", "revoke": "revoked"}


@dataclass(frozen=True, slots=True)
class IncidentView:
    incident: Incident
    description: str
    workers: list[IncidentWorker]


async def report(session: AsyncSession, ctx: Context, policy: Policy,
                 protection: DataProtection, *, kind: str, occurred_at: datetime,
                 description: str, worker_ids: Sequence[str], route_id: str | None) -> Incident:
    if occurred_at > ctx.now:
        raise InvalidInput("cannot be in the future", field="occurred_at",
                           code="DATE_IN_FUTURE")
    unit = units()[str(ctx.actor.unit)]
    ids = list(dict.fromkeys(worker_ids))
    found = set((await session.scalars(select(Worker.id).where(
        Worker.id.in_(ids), WORKERS.condition(ctx.actor, "incidents.report")))).all())
    missing = [w for w in ids if w not in found]
    if missing:
        raise InvalidInput("unknown workers (or not of your unit)", field="worker_ids",
                           code="UNKNOWN_WORKER", worker_ids=missing)
    if route_id is not None and await session.scalar(select(Route.id).where(
            Route.id == route_id, Route.province_code == unit.province_code)) is None:
        raise InvalidInput("no such route in your province", field="route_id",
                           code="UNKNOWN_ROUTE")
    incident = Incident(kind=kind, occurred_at=occurred_at, post_unit_code=unit.code,
                        province_code=unit.province_code, route_id=route_id,
                        description_enc=b"", reported_by=ctx.actor.id, created_at=ctx.now)
    session.add(incident)
    await session.flush()
    incident.description_enc = protection.seal(description, table="incident",
                                               column="description", row_id=incident.id)
    suspends = kind in policy.suspending_incident_kinds
    suspended: list[str] = []
    for worker_id in ids:
        clearance_id = None
        if suspends:  # an already suspended clearance is held by this review too
            current = await session.scalar(select(Clearance).where(
                Clearance.worker_id == worker_id, Clearance.state.in_(("active", "suspended")),
                Clearance.valid_until > ctx.now).with_for_update(key_share=True))
            if current is not None:
                if current.state == "active":
                    await lifecycle.apply_change(session, ctx, current, "suspend",
                                                 lifecycle.INCIDENT_REVIEW)
                clearance_id = current.id
                suspended.append(worker_id)
        session.add(IncidentWorker(incident_id=incident.id, worker_id=worker_id,
                                   clearance_id=clearance_id))
    await session.flush()
    await append(session, ctx, action="incident.report", object_type="incident",
                 object_id=incident.id, body={"kind": kind, "workers": ids,
                                              "suspended": suspended, "route": route_id,
                                              "policy_version": policy.version})
    await publish(session, ctx, kind="incident.reported", object_type="incident",
                  object_id=incident.id, payload={"kind": kind, "suspended": len(suspended)},
                  audiences=[Audience(POLICE, unit=police_unit_for(unit.province_code)),
                             Audience((INSPECTOR,), province=unit.province_code),
                             Audience((POST_HR,), unit=unit.code)])
    return incident


async def get(session: AsyncSession, ctx: Context, protection: DataProtection,
              incident_id: str) -> IncidentView:
    incident = await INCIDENTS.get(session, ctx.actor, "incidents.read", incident_id)
    workers = (await session.scalars(select(IncidentWorker).where(
        IncidentWorker.incident_id == incident.id).order_by(IncidentWorker.worker_id))).all()
    description = protection.unseal(incident.description_enc, table="incident",
                                    column="description", row_id=incident.id)
    return IncidentView(incident, description, list(workers))


def _awaiting_unit(ctx: Context) -> ColumnElement[bool]:
    """Reviews the caller's police unit must conclude: a suspension of a clearance it issued,
    not yet reinstated or revoked (exactly what `conclude` accepts)."""
    return (IncidentWorker.resolution.is_(None)
            & (Clearance.police_unit_code == (ctx.actor.unit or "")))


async def list_incidents(session: AsyncSession, ctx: Context, *, state: str | None, limit: int,
                         offset: int, awaiting: bool = False) -> tuple[list[Incident], int]:
    """`awaiting`: only incidents with a review the caller's unit must conclude."""
    where = [] if state is None else [Incident.state == state]
    if awaiting:
        where.append(Incident.id.in_(
            select(IncidentWorker.incident_id)
            .join(Clearance, Clearance.id == IncidentWorker.clearance_id)
            .where(_awaiting_unit(ctx))))
    return await INCIDENTS.list(session, ctx.actor, "incidents.read", *where,
                                order_by=(Incident.occurred_at.desc(),), limit=limit,
                                offset=offset)


@dataclass(frozen=True, slots=True)
class Involved:
    """A worker of an incident as the caller may see them: the name only when the worker is
    in the caller's scope; `to_conclude` when the caller's unit must conclude the review."""

    worker_id: str
    full_name: str | None
    employee_no: str | None
    suspended: bool
    resolution: str | None
    to_conclude: bool


async def involved(session: AsyncSession, ctx: Context, view: IncidentView) -> list[Involved]:
    ids = [w.worker_id for w in view.workers]
    names = {row.id: (row.full_name, row.employee_no) for row in (await session.execute(
        select(Worker.id, Worker.full_name, Worker.employee_no).where(
            Worker.id.in_(ids), WORKERS.condition(ctx.actor, "workers.read")))).all()}
    mine = set((await session.scalars(
        select(IncidentWorker.worker_id)
        .join(Clearance, Clearance.id == IncidentWorker.clearance_id)
        .where(IncidentWorker.incident_id == view.incident.id, _awaiting_unit(ctx)))).all()
    ) if scope_for(ctx.actor.role, "incidents.conclude") is not None else set()
    return [Involved(worker_id=w.worker_id, full_name=names.get(w.worker_id, (None, None))[0],
                     employee_no=names.get(w.worker_id, (None, None))[1],
                     suspended=w.clearance_id is not None, resolution=w.resolution,
                     to_conclude=w.worker_id in mine) for w in view.workers]


async def conclude(session: AsyncSession, ctx: Context, incident_id: str, *, worker_id: str,
                   decision: str, reason: str) -> Incident:
    """Reinstate or revoke one involved worker, by a lead of the unit that issued the
    clearance (wherever the incident happened). A clearance held by several open reviews is
    reinstated only when the last of them concludes; the incident closes when all are done."""
    found = await session.execute(
        select(Incident, IncidentWorker, Clearance)
        .join(IncidentWorker, IncidentWorker.incident_id == Incident.id)
        .join(Clearance, Clearance.id == IncidentWorker.clearance_id)
        .where(Incident.id == incident_id, IncidentWorker.worker_id == worker_id,
               Clearance.police_unit_code == ctx.actor.unit)
        .with_for_update(key_share=True))
    row = found.first()
    if row is None:
        raise NotFound("no suspension of this worker under this incident for your unit")
    incident, link, clearance = row
    if link.resolution is not None:
        raise Conflict(f"already concluded: {link.resolution}", code="ALREADY_CONCLUDED")
    other_reviews = await session.scalar(select(func.count()).select_from(IncidentWorker).where(
        IncidentWorker.clearance_id == clearance.id, IncidentWorker.incident_id != incident.id,
        IncidentWorker.resolution.is_(None)))
    if decision == "revoke" and clearance.state != "revoked":
        await lifecycle.apply_change(session, ctx, clearance, "revoke", reason)
    elif decision == "reinstate" and not other_reviews and clearance.state == "suspended":
        await lifecycle.apply_change(session, ctx, clearance, "reinstate", reason)
    link.resolution, link.resolved_at, link.resolved_by = (RESOLUTIONS[decision], ctx.now,
                                                           ctx.actor.id)
    pending = await session.scalar(select(func.count()).select_from(IncidentWorker).where(
        IncidentWorker.incident_id == incident.id, IncidentWorker.clearance_id.is_not(None),
        IncidentWorker.resolution.is_(None)))
    if not pending:
        incident.state = "concluded"
    await session.flush()
    await append(session, ctx, action="incident.conclude", object_type="incident",
                 object_id=incident.id, body={"worker": worker_id, "decision": decision,
                                              "closed": not pending})
    return incident
