"""Routes belong to a province: its dispatchers and inspectors see them."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from vetting.models import Route
from vetting.principal import Actor
from vetting.repositories.base import ScopedRepository


class RouteRepository(ScopedRepository[Route]):
    model = Route
    missing = "no such route"

    def limited(self, actor: Actor, action: str) -> ColumnElement[bool]:
        return Route.province_code == actor.province


ROUTES = RouteRepository()
