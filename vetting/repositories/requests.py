"""Vetting requests: HR sees its post unit's, police the ones routed to their unit,
inspectors their province's."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false

from policies.access import INSPECTOR, POLICE, POST_HR
from vetting.models import VettingRequest
from vetting.principal import Actor
from vetting.repositories.base import ScopedRepository
from vetting.repositories.workers import units_in_province


class RequestRepository(ScopedRepository[VettingRequest]):
    model = VettingRequest
    missing = "no such vetting request"

    def limited(self, actor: Actor, action: str) -> ColumnElement[bool]:
        if actor.role == POST_HR:
            return VettingRequest.post_unit_code == actor.unit
        if actor.role in POLICE:
            return VettingRequest.police_unit_code == actor.unit
        if actor.role == INSPECTOR:
            return VettingRequest.post_unit_code.in_(units_in_province(actor.province))
        return false()


REQUESTS = RequestRepository()
