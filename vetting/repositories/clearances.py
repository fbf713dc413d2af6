"""Clearances: a police unit's leads act on the clearances their unit issued; everyone else
reads a clearance through its worker's scope."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from policies.access import POLICE
from vetting.models import Clearance, Worker
from vetting.principal import Actor
from vetting.repositories.base import ScopedRepository
from vetting.repositories.workers import WORKERS


class ClearanceRepository(ScopedRepository[Clearance]):
    model = Clearance
    missing = "no such clearance"

    def limited(self, actor: Actor, action: str) -> ColumnElement[bool]:
        if actor.role in POLICE:
            return Clearance.police_unit_code == actor.unit
        return Clearance.worker_id.in_(
            select(Worker.id).where(WORKERS.condition(actor, action)))


CLEARANCES = ClearanceRepository()
