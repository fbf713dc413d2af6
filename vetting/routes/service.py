"""Routes: a province's KT1 lines, managed by its dispatchers (and admins)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from policies.access import ADMIN
from vetting.audit.entries import append
from vetting.errors import Conflict, InvalidInput, require_version
from vetting.models import Province, Route
from vetting.principal import Context
from vetting.repositories import ROUTES

SERVICE_CLASSES = ("standard", "express", "scheduled")


@dataclass(frozen=True, slots=True)
class RouteInput:
    code: str
    name: str
    province: str
    stage: str
    service_classes: tuple[str, ...]
    max_secrecy: str


def _classes(values: tuple[str, ...]) -> str:
    return ",".join(c for c in SERVICE_CLASSES if c in values)


async def create_route(session: AsyncSession, ctx: Context, data: RouteInput) -> Route:
    if ctx.actor.role != ADMIN and data.province != ctx.actor.province:
        raise InvalidInput("dispatchers create routes of their own province only",
                           field="province", code="OUT_OF_SCOPE")
    if await session.get(Province, data.province) is None:
        raise InvalidInput(f"province {data.province} does not exist", field="province",
                           code="UNKNOWN_PROVINCE")
    if await session.scalar(select(Route.id).where(Route.province_code == data.province,
                                                   Route.code == data.code)):
        raise Conflict("the route code is already used in the province", code="DUPLICATE_ROUTE")
    route = Route(province_code=data.province, code=data.code, name=data.name, stage=data.stage,
                  service_classes=_classes(data.service_classes), max_secrecy=data.max_secrecy,
                  active=True, created_at=ctx.now)
    session.add(route)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("the route code is already used in the province",
                       code="DUPLICATE_ROUTE") from exc
    await append(session, ctx, action="route.create", object_type="route", object_id=route.id,
                 body={"province": route.province_code, "code": route.code})
    return route


async def update_route(session: AsyncSession, ctx: Context, route_id: str, *,
                       name: str | None, active: bool | None, service_classes: tuple[str, ...]
                       | None, max_secrecy: str | None, expected_version: int | None) -> Route:
    route = await get_route(session, ctx, route_id, "routes.manage")
    require_version(route.version, expected_version, what="route")
    changes: dict[str, object] = {}
    if name is not None:
        route.name = changes["name"] = name
    if active is not None:
        route.active = changes["active"] = active
    if service_classes is not None:
        route.service_classes = changes["service_classes"] = _classes(service_classes)
    if max_secrecy is not None:
        route.max_secrecy = changes["max_secrecy"] = max_secrecy
    if not changes:
        raise InvalidInput("nothing to change", field="body", code="EMPTY_CHANGE")
    await session.flush()
    await append(session, ctx, action="route.update", object_type="route", object_id=route.id,
                 body=changes)
    return route


async def get_route(session: AsyncSession, ctx: Context, route_id: str,
                    action: str = "routes.read") -> Route:
    """The route when the caller's scope for `action` reaches it; otherwise NotFound."""
    return await ROUTES.get(session, ctx.actor, action, route_id)


async def list_routes(session: AsyncSession, ctx: Context, *, active: bool | None, limit: int,
                      offset: int) -> tuple[list[Route], int]:
    where = [] if active is None else [Route.active == active]
    return await ROUTES.list(session, ctx.actor, "routes.read", *where,
                             order_by=(Route.province_code, Route.code), limit=limit,
                             offset=offset)
