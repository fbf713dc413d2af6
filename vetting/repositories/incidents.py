"""Incidents: HR sees its post unit's reports, police their province's and those whose
review falls to their unit, inspectors their province's."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select

from policies.access import INSPECTOR, POLICE, POST_HR
from vetting.models import Clearance, Incident, IncidentWorker
from vetting.principal import Actor
from vetting.repositories.base import ScopedRepository


class IncidentRepository(ScopedRepository[Incident]):
    model = Incident
    missing = "no such incident"

    def limited(self, actor: Actor, action: str) -> ColumnElement[bool]:
        if actor.role == POST_HR:
            return Incident.post_unit_code == actor.unit
        if actor.role in POLICE:
            reviewing = select(IncidentWorker.incident_id).join(
                Clearance, Clearance.id == IncidentWorker.clearance_id).where(
                Clearance.police_unit_code == actor.unit)
            return or_(Incident.province_code == actor.province, Incident.id.in_(reviewing))
        if actor.role == INSPECTOR:
            return Incident.province_code == actor.province
        return false()


INCIDENTS = IncidentRepository()
