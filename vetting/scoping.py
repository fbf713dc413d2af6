"""Scope as SQL: each role sees only its unit's or province's objects, inside the query."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true

from policies.access import DISPATCHER, INSPECTOR, POLICE, POST_HR, Scope, scope_for
from vetting.models import (
    Assignment,
    Attestation,
    AuditEntry,
    Clearance,
    Incident,
    Route,
    Unit,
    UserAccount,
    VettingRequest,
    Worker,
)
from vetting.principal import Actor


def _units_in_province(province: str | None) -> object:
    return select(Unit.code).where(Unit.province_code == province)


def worker_condition(actor: Actor, action: str = "workers.read", *,
                     unit: ColumnElement[str] | None = None,
                     worker_id: ColumnElement[str] | None = None) -> ColumnElement[bool]:
    """The workers `actor` may reach; `unit` and `worker_id` name the columns that hold a
    worker's post unit and id when the query reads another table (the worker summary)."""
    unit = Worker.post_unit_code if unit is None else unit
    worker_id = Worker.id if worker_id is None else worker_id
    scope = scope_for(actor.role, action)
    if scope is None:
        return false()
    if scope is Scope.ALL:
        return true()
    if actor.role in (POST_HR, DISPATCHER):
        return unit == actor.unit
    if actor.role in POLICE:
        routed = select(VettingRequest.worker_id).where(
            VettingRequest.police_unit_code == actor.unit)
        return worker_id.in_(routed)
    if actor.role == INSPECTOR:
        return unit.in_(_units_in_province(actor.province))
    return false()


def request_condition(actor: Actor, action: str = "requests.read") -> ColumnElement[bool]:
    scope = scope_for(actor.role, action)
    if scope is None:
        return false()
    if scope is Scope.ALL:
        return true()
    if actor.role == POST_HR:
        return VettingRequest.post_unit_code == actor.unit
    if actor.role in POLICE:
        return VettingRequest.police_unit_code == actor.unit
    if actor.role == INSPECTOR:
        return VettingRequest.post_unit_code.in_(_units_in_province(actor.province))
    return false()


def route_condition(actor: Actor, action: str = "routes.read") -> ColumnElement[bool]:
    """Routes belong to a province: dispatchers see their province's routes."""
    scope = scope_for(actor.role, action)
    if scope is None:
        return false()
    if scope is Scope.ALL:
        return true()
    return Route.province_code == actor.province


def _objects_in_province(province: str | None) -> dict[str, Select[tuple[str]]]:
    """Audit object type -> the ids of that type which belong to `province`."""
    units = _units_in_province(province)
    workers = select(Worker.id).where(Worker.post_unit_code.in_(units))
    return {
        "user": select(UserAccount.id).where(UserAccount.province_code == province),
        "unit": select(Unit.code).where(Unit.province_code == province),
        "route": select(Route.id).where(Route.province_code == province),
        "worker": workers,
        "vetting_request": select(VettingRequest.id).where(or_(
            VettingRequest.post_unit_code.in_(units),
            VettingRequest.police_unit_code.in_(units))),
        "clearance": select(Clearance.id).where(Clearance.worker_id.in_(workers)),
        "attestation": select(Attestation.id).where(Attestation.worker_id.in_(workers)),
        "assignment": select(Assignment.id).where(Assignment.worker_id.in_(workers)),
        "incident": select(Incident.id).where(Incident.province_code == province),
    }


def audit_entry_condition(actor: Actor, action: str = "audit.entries") -> ColumnElement[bool]:
    """An inspector reads the entries of their province: those whose actor is an account
    placed in it, or whose object (an account, unit, route, worker, request, clearance,
    attestation, assignment or incident) belongs to it — a worker's by its post unit, a
    request's by either end. Decided by joins on the entry's ids, so nothing hashed into
    existing entries changes. Entries of the system or of accounts without a province on
    objects without one (reference data, anonymous login failures) are national: admin
    only."""
    scope = scope_for(actor.role, action)
    if scope is None:
        return false()
    if scope is Scope.ALL:
        return true()
    province = actor.province
    by_actor = AuditEntry.actor_id.in_(
        select(UserAccount.id).where(UserAccount.province_code == province))
    by_object = [and_(AuditEntry.object_type == kind, AuditEntry.object_id.in_(ids))
                 for kind, ids in _objects_in_province(province).items()]
    return or_(by_actor, *by_object)
