"""Audit entries: an inspector reads the entries of their province."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, or_, select

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
from vetting.repositories.base import ScopedRepository
from vetting.repositories.workers import units_in_province


def _objects_in_province(province: str | None) -> dict[str, Select[tuple[str]]]:
    """Audit object type -> the ids of that type which belong to `province`."""
    units = units_in_province(province)
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


class AuditEntryRepository(ScopedRepository[AuditEntry]):
    model = AuditEntry
    key = "seq"
    missing = "no such audit entry"

    def limited(self, actor: Actor, action: str) -> ColumnElement[bool]:
        """Those whose actor is an account placed in the province, or whose object (an
        account, unit, route, worker, request, clearance, attestation, assignment or
        incident) belongs to it — a worker's by its post unit, a request's by either end.
        Decided by joins on the entry's ids, so nothing hashed into existing entries
        changes. Entries of the system or of accounts without a province on objects without
        one (reference data, anonymous login failures) are national: admin only."""
        province = actor.province
        by_actor = AuditEntry.actor_id.in_(
            select(UserAccount.id).where(UserAccount.province_code == province))
        by_object = [and_(AuditEntry.object_type == kind, AuditEntry.object_id.in_(ids))
                     for kind, ids in _objects_in_province(province).items()]
        return or_(by_actor, *by_object)


AUDIT_ENTRIES = AuditEntryRepository()
