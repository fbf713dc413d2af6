"""KT1 routes, eligibility checks and assignments: the dispatcher's working day."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.controllers.vetting_requests import expected_version
from api.i18n import language_of, message
from api.problems import documented
from api.schemas import Limit, Offset, Page, Strict, query_instant
from api.state import ActingContext, Services, Transaction, acting
from policies.eligibility import Decision
from policies.vocabulary import Stage
from vetting.eligibility.service import Answer, check
from vetting.models import Assignment, Route
from vetting.routes import assignments
from vetting.routes.service import (
    RouteInput,
    create_route,
    get_route,
    list_routes,
    update_route,
)

ServiceClass = Literal["standard", "express", "scheduled"]
Secrecy = Literal["A", "B", "C"]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
MAX_BATCH = 1000


class RouteIn(Strict):
    code: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._-]{1,40}$")]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    province: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2}$")]
    stage: Stage
    service_classes: Annotated[list[ServiceClass], msgspec.Meta(min_length=1, max_length=3)]
    max_secrecy: Secrecy


class RoutePatch(Strict):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    active: bool | None = None
    service_classes: Annotated[list[ServiceClass], msgspec.Meta(min_length=1,
                                                                max_length=3)] | None = None
    max_secrecy: Secrecy | None = None
    version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class RouteOut(msgspec.Struct, kw_only=True):
    id: str
    code: str
    name: str
    province: str
    stage: str
    service_classes: list[str]
    max_secrecy: str
    active: bool
    version: int


class ReasonOut(msgspec.Struct, kw_only=True):
    code: str
    message: str


class EligibilityOut(msgspec.Struct, kw_only=True):
    """No dossier data: name, employee number, the answer and why."""

    worker_id: str
    full_name: str | None
    employee_no: str | None
    eligible: bool
    reasons: list[ReasonOut]
    valid_until: datetime | None
    policy_version: str


class BatchIn(Strict):
    route_id: Id
    worker_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]
    at: datetime | None = None


class BatchOut(msgspec.Struct, kw_only=True):
    route_id: str
    at: datetime
    results: list[EligibilityOut]


class AssignmentIn(Strict):
    worker_id: Id
    route_id: Id
    starts_at: datetime
    ends_at: datetime | None = None


class EndIn(Strict):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None


class AssignmentOut(msgspec.Struct, kw_only=True):
    id: str
    worker_id: str
    route_id: str
    starts_at: datetime
    ends_at: datetime
    ended_at: datetime | None
    version: int


class RosterLineOut(msgspec.Struct, kw_only=True):
    assignment: AssignmentOut
    status: Literal["ok", "blocked"]
    eligibility: EligibilityOut


class RosterOut(msgspec.Struct, kw_only=True):
    route: RouteOut
    items: list[RosterLineOut]


def _route(r: Route) -> RouteOut:
    return RouteOut(id=r.id, code=r.code, name=r.name, province=r.province_code, stage=r.stage,
                    service_classes=r.service_classes.split(","), max_secrecy=r.max_secrecy,
                    active=r.active, version=r.version)


def _eligibility(result: Answer, lang: str) -> EligibilityOut:
    d: Decision = result.decision
    return EligibilityOut(
        worker_id=result.worker_id, full_name=result.worker.full_name if result.worker else None,
        employee_no=result.worker.employee_no if result.worker else None, eligible=d.eligible,
        reasons=[ReasonOut(code=r.code, message=message(lang, r.code)) for r in d.reasons],
        valid_until=d.valid_until, policy_version=d.policy_version)


def _assignment(a: Assignment) -> AssignmentOut:
    return AssignmentOut(id=a.id, worker_id=a.worker_id, route_id=a.route_id,
                         starts_at=a.starts_at, ends_at=a.ends_at, ended_at=a.ended_at,
                         version=a.version)


class RouteController(Controller):
    path = "/api/v1/routes"
    tags = ["routes"]  # noqa: RUF012

    @post("/", opt={"action": "routes.manage"}, responses=documented(400, 401, 403, 409, 422))
    async def create(self, data: JSONBody[RouteIn], db: Transaction,
                     ctx: ActingContext) -> RouteOut:
        return _route(await create_route(db, ctx, RouteInput(
            code=data.code, name=data.name, province=data.province, stage=data.stage,
            service_classes=tuple(data.service_classes), max_secrecy=data.max_secrecy)))

    @get("/", opt={"action": "routes.read", "read_only": True}, responses=documented(400, 401,
                                                                                      403))
    async def list(self, db: Transaction, ctx: ActingContext, active: FromQuery[bool | None] = None,
                   limit: Limit = 50, offset: Offset = 0) -> Page[RouteOut]:
        rows, total = await list_routes(db, ctx, active=active, limit=limit, offset=offset)
        return Page(items=[_route(r) for r in rows], total=total)

    @get("/{route_id:str}", opt={"action": "routes.read", "read_only": True},
         responses=documented(401, 403, 404))
    async def read(self, route_id: FromPath[str], db: Transaction, ctx: ActingContext) -> RouteOut:
        return _route(await get_route(db, ctx, route_id))

    @patch("/{route_id:str}", opt={"action": "routes.manage"},
           responses=documented(400, 401, 403, 404, 409, 422))
    async def update(self, request: Request[Any, Any, Any], route_id: FromPath[str],
                     data: JSONBody[RoutePatch], db: Transaction, ctx: ActingContext) -> RouteOut:
        return _route(await update_route(
            db, ctx, route_id, name=data.name, active=data.active,
            service_classes=tuple(data.service_classes) if data.service_classes else None,
            max_secrecy=data.max_secrecy,
            expected_version=expected_version(request, data.version)))

    @get("/{route_id:str}/roster", opt={"action": "routes.read", "read_only": True},
         responses=documented(401, 403, 404))
    async def roster(self, request: Request[Any, Any, Any], route_id: FromPath[str],
                     db: Transaction,
                     ctx: ActingContext, services: Services) -> RosterOut:
        route, lines = await assignments.roster(db, ctx, services.settings.policy, route_id,
                                                signatures=services.keys.attestations,
                                                cache=services.eligibility)
        lang = language_of(request.scope)
        return RosterOut(route=_route(route), items=[RosterLineOut(
            assignment=_assignment(line.assignment),
            status="ok" if line.decision.eligible else "blocked",
            eligibility=_eligibility(Answer(line.assignment.worker_id, line.worker,
                                            line.decision), lang)) for line in lines])


class EligibilityController(Controller):
    path = "/api/v1/eligibility"
    tags = ["eligibility"]  # noqa: RUF012

    # No dependencies (`acting`); no `db` either: `check` opens a reader transaction only
    # when its cache lacks something.
    @get("/", opt={"action": "eligibility.read"},
         responses=documented(400, 401, 403, 404))
    async def single(self, request: Request[Any, Any, Any],
                     worker_id: Annotated[str, QueryParameter(min_length=1, max_length=64)],
                     route_id: Annotated[str, QueryParameter(min_length=1, max_length=64)],
                     at: FromQuery[datetime | None] = None) -> EligibilityOut:
        """`at` may be in the past: the answer is what was true then."""
        services, ctx = acting(request)
        at = query_instant("at", at)
        _, [result] = await check(services.db, ctx, route_id, [worker_id], at=at or ctx.now,
                                  policy_version=services.settings.policy.version,
                                  signatures=services.keys.attestations,
                                  cache=services.eligibility)
        return _eligibility(result, language_of(request.scope))

    @post("/batch", opt={"action": "eligibility.read"}, status_code=200,
          responses=documented(400, 401, 403, 404))
    async def batch(self, request: Request[Any, Any, Any], data: JSONBody[BatchIn]) -> BatchOut:
        services, ctx = acting(request)
        at = data.at or ctx.now
        route, results = await check(services.db, ctx, data.route_id, data.worker_ids, at=at,
                                     policy_version=services.settings.policy.version,
                                     signatures=services.keys.attestations,
                                     cache=services.eligibility)
        lang = language_of(request.scope)
        return BatchOut(route_id=route.id, at=at, results=[_eligibility(r, lang)
                                                           for r in results])


class AssignmentController(Controller):
    path = "/api/v1/assignments"
    tags = ["assignments"]  # noqa: RUF012

    @post("/", opt={"action": "assignments.manage"},
          responses=documented(400, 401, 403, 404, 409, 422))
    async def create(self, data: JSONBody[AssignmentIn], db: Transaction, ctx: ActingContext,
                     services: Services) -> AssignmentOut:
        """A refusal (409 NOT_ELIGIBLE with its reasons) is audited and that entry kept."""
        return _assignment(await assignments.create(
            db, ctx, services.settings.policy, worker_id=data.worker_id,
            route_id=data.route_id, starts_at=data.starts_at, ends_at=data.ends_at,
            signatures=services.keys.attestations))

    @get("/", opt={"action": "assignments.manage", "read_only": True},
         responses=documented(400, 401, 403))
    async def list(self, db: Transaction, ctx: ActingContext, route_id: FromQuery[Id | None] = None,
                   worker_id: FromQuery[Id | None] = None, active: FromQuery[bool | None] = None,
                   limit: Limit = 50, offset: Offset = 0) -> Page[AssignmentOut]:
        rows, total = await assignments.list_assignments(
            db, ctx, route_id=route_id, worker_id=worker_id, active=active, limit=limit,
            offset=offset)
        return Page(items=[_assignment(a) for a in rows], total=total)

    @post("/{assignment_id:str}/end", opt={"action": "assignments.manage"}, status_code=200,
          responses=documented(400, 401, 403, 404, 409))
    async def end(self, assignment_id: FromPath[str], db: Transaction, ctx: ActingContext,
                  data: JSONBody[EndIn | None] = None) -> AssignmentOut:
        return _assignment(await assignments.end(db, ctx, assignment_id,
                                                 reason=data.reason if data else None))
