"""Scope as SQL: each role sees only its unit's or province's objects, inside the query."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true

from policies.access import DISPATCHER, INSPECTOR, POLICE, POST_HR, Scope, scope_for
from vetting.models import Route, Unit, VettingRequest, Worker
from vetting.principal import Actor


def _units_in_province(province: str | None) -> object:
    return select(Unit.code).where(Unit.province_code == province)


def worker_condition(actor: Actor, action: str = "workers.read") -> ColumnElement[bool]:
    scope = scope_for(actor.role, action)
    if scope is None:
        return false()
    if scope is Scope.ALL:
        return true()
    if actor.role in (POST_HR, DISPATCHER):
        return Worker.post_unit_code == actor.unit
    if actor.role in POLICE:
        routed = select(VettingRequest.worker_id).where(
            VettingRequest.police_unit_code == actor.unit)
        return Worker.id.in_(routed)
    if actor.role == INSPECTOR:
        return Worker.post_unit_code.in_(_units_in_province(actor.province))
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
