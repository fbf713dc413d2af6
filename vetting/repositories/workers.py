"""Workers: HR and dispatchers see their post unit's, police the workers whose requests were
routed to their unit, inspectors their province's."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select

from policies.access import DISPATCHER, INSPECTOR, POLICE, POST_HR
from vetting.models import Unit, VettingRequest, Worker
from vetting.principal import Actor
from vetting.repositories.base import ScopedRepository, granted


def units_in_province(province: str | None) -> object:
    return select(Unit.code).where(Unit.province_code == province)


class WorkerRepository(ScopedRepository[Worker]):
    model = Worker
    missing = "no such worker"

    def condition(self, actor: Actor, action: str = "workers.read", *,
                  unit: ColumnElement[str] = Worker.post_unit_code,
                  worker_id: ColumnElement[str] = Worker.id) -> ColumnElement[bool]:
        """`unit` and `worker_id` name the columns that hold a worker's post unit and id when
        the query reads another table (the worker summary)."""
        whole = granted(actor, action)
        return _scope(actor, unit, worker_id) if whole is None else whole


def _scope(actor: Actor, unit: ColumnElement[str], worker_id: ColumnElement[str]
           ) -> ColumnElement[bool]:
    if actor.role in (POST_HR, DISPATCHER):
        return unit == actor.unit
    if actor.role in POLICE:
        routed = select(VettingRequest.worker_id).where(
            VettingRequest.police_unit_code == actor.unit)
        return worker_id.in_(routed)
    if actor.role == INSPECTOR:
        return unit.in_(units_in_province(actor.province))
    return false()


WORKERS = WorkerRepository()
