"""The dispatcher's pages: KT1 routes, their roster, eligibility checks and assignments.

Every handler calls what `api.controllers.routes` calls, with the same input structs, so a
page can never assign someone the API would refuse. A refused assignment shows every reason
in words; its audit entry is kept (the refusal is committed, as in the API).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from api.controllers.routes import AssignmentIn, EndIn, RouteIn, RoutePatch
from api.i18n import field_label, language_of, message
from api.pages.forms import REFUSALS, Form, FormErrors, field_errors, refusal
from api.pages.rendering import page, see_other
from api.state import ActingContext, Services, Transaction
from policies.vocabulary import STAGES
from vetting.eligibility.service import CHECK_ACTION, check
from vetting.routes import assignments
from vetting.routes.service import (
    RouteInput,
    create_route,
    get_route,
    list_routes,
    update_route,
)
from vetting.workers.lookup import ids_by_employee_no

PAGE_SIZE = 50
SERVICE_CLASSES = ("standard", "express", "scheduled")
SECRECY = ("A", "B", "C")
#: A pasted list: employee numbers separated by new lines, commas, semicolons or spaces.
_SEPARATORS = re.compile(r"[\s,;]+")
MAX_PASTED = 1000
Active = Annotated[bool | None, QueryParameter(name="active")]


def pasted_numbers(text: str) -> list[str]:
    """The employee numbers of a pasted list, in order, each once."""
    seen: dict[str, None] = {}
    for number in _SEPARATORS.split(text.strip()):
        if number:
            seen.setdefault(number, None)
    return list(seen)


class RoutePages(Controller):
    include_in_schema = False

    @get("/routes", opt={"action": "routes.read", "read_only": True})
    async def routes(self, db: Transaction, ctx: ActingContext, active: Active = None,
                     offset: FromQuery[int] = 0) -> Template:
        offset = max(offset, 0)
        rows, total = await list_routes(db, ctx, active=active, limit=PAGE_SIZE, offset=offset)
        return page("routes/list.html", routes=rows, total=total, limit=PAGE_SIZE,
                    offset=offset, active=active)

    @get("/routes/new", opt={"action": "routes.manage"})
    async def new_route(self) -> Template:
        return _route_form()

    @post("/routes/new", opt={"action": "routes.manage"})
    async def create(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext
                     ) -> Template | Redirect:
        form = await Form.read(request)
        try:
            data = form.parse(RouteIn, province=ctx.actor.province or form.value("province"))
            route = await create_route(db, ctx, RouteInput(
                code=data.code, name=data.name, province=data.province, stage=data.stage,
                service_classes=tuple(data.service_classes), max_secrecy=data.max_secrecy))
        except REFUSALS as exc:
            return _route_form(form=form, errors=await refusal(db, request, exc), status=422)
        return see_other(f"/routes/{route.id}?notice=route_created")

    @get("/routes/{route_id:str}", opt={"action": "routes.read", "read_only": True})
    async def route(self, route_id: FromPath[str], db: Transaction, ctx: ActingContext,
                    services: Services) -> Template:
        return await _route_page(db, ctx, services, route_id)

    @get("/routes/{route_id:str}/edit", opt={"action": "routes.manage", "read_only": True})
    async def edit_form(self, route_id: FromPath[str], db: Transaction,
                        ctx: ActingContext) -> Template:
        route = await get_route(db, ctx, route_id, "routes.manage")
        return page("routes/edit.html", route=route)

    @post("/routes/{route_id:str}/edit", opt={"action": "routes.manage"})
    async def edit(self, request: Request[Any, Any, Any], route_id: FromPath[str], db: Transaction,
                   ctx: ActingContext) -> Template | Redirect:
        form = await Form.read(request)
        try:
            data = form.parse(RoutePatch)
            await update_route(db, ctx, route_id, name=data.name, active=None,
                               service_classes=tuple(data.service_classes)
                               if data.service_classes else None,
                               max_secrecy=data.max_secrecy, expected_version=data.version)
        except REFUSALS as exc:
            errors = await refusal(db, request, exc)
            route = await get_route(db, ctx, route_id, "routes.manage")
            return page("routes/edit.html", route=route, form=form, errors=errors, status=422)
        return see_other(f"/routes/{route_id}?notice=route_updated")

    @post("/routes/{route_id:str}/active", opt={"action": "routes.manage"})
    async def set_active(self, request: Request[Any, Any, Any], route_id: FromPath[str],
                         db: Transaction, ctx: ActingContext,
                         services: Services) -> Template | Redirect:
        """Deactivate (or bring back) a route; its roster then shows every line blocked."""
        form = await Form.read(request)
        try:
            data = form.parse(RoutePatch)
            await update_route(db, ctx, route_id, name=None, active=data.active,
                               service_classes=None, max_secrecy=None,
                               expected_version=data.version)
        except REFUSALS as exc:
            errors = await refusal(db, request, exc)
            return await _route_page(db, ctx, services, route_id, errors=errors, status=409)
        notice = "route_activated" if data.active else "route_deactivated"
        return see_other(f"/routes/{route_id}?notice={notice}")

    @get("/routes/{route_id:str}/assign", opt={"action": "assignments.manage",
                                              "read_only": True})
    async def assign_form(self, route_id: FromPath[str], db: Transaction,
                          ctx: ActingContext) -> Template:
        route = await get_route(db, ctx, route_id, "assignments.manage")
        return page("routes/assign.html", route=route)

    @post("/routes/{route_id:str}/assign", opt={"action": "assignments.manage"})
    async def assign(self, request: Request[Any, Any, Any], route_id: FromPath[str],
                     db: Transaction,
                     ctx: ActingContext, services: Services) -> Template | Redirect:
        form = await Form.read(request)
        route = await get_route(db, ctx, route_id, "assignments.manage")
        language = language_of(request.scope)
        number = form.value("employee_no").strip()
        found = await ids_by_employee_no(db, ctx, [number], action="assignments.manage")
        if number and number not in found:
            return page("routes/assign.html", route=route, form=form, status=422,
                        errors=field_errors(("employee_no", message(
                            language, "UNKNOWN_EMPLOYEE_NO",
                            {"field": field_label(language, "employee_no")}))))
        try:
            data = form.parse(AssignmentIn, route_id=route.id, worker_id=found.get(number),
                              starts_at=form.local_instant("starts_at"),
                              ends_at=form.local_instant("ends_at"))
            await assignments.create(db, ctx, services.settings.policy,
                                     worker_id=data.worker_id, route_id=data.route_id,
                                     starts_at=data.starts_at, ends_at=data.ends_at,
                                     signatures=services.keys.attestations)
        except assignments.NotEligible as refused:
            # No rollback: the refusal's audit entry is committed, as in the API.
            reasons = tuple(message(language, r.code) for r in refused.decision.reasons)
            return page("routes/assign.html", route=route, form=form, status=409,
                        errors=FormErrors(general=(message(language, "NOT_ELIGIBLE"),
                                                   *reasons)))
        except REFUSALS as exc:
            errors = await refusal(db, request, exc)  # rolled back: read the route again
            route = await get_route(db, ctx, route_id, "assignments.manage")
            return page("routes/assign.html", route=route, form=form, errors=errors, status=422)
        return see_other(f"/routes/{route.id}?notice=assigned")

    @post("/assignments/{assignment_id:str}/end", opt={"action": "assignments.manage"})
    async def end(self, request: Request[Any, Any, Any], assignment_id: FromPath[str],
                  db: Transaction,
                  ctx: ActingContext) -> Redirect:
        form = await Form.read(request)
        data = form.parse(EndIn)
        ended = await assignments.end(db, ctx, assignment_id, reason=data.reason)
        return see_other(f"/routes/{ended.route_id}?notice=assignment_ended")

    @get("/routes/{route_id:str}/eligibility", opt={"action": CHECK_ACTION, "read_only": True})
    async def eligibility_form(self, route_id: FromPath[str], db: Transaction,
                               ctx: ActingContext) -> Template:
        route = await get_route(db, ctx, route_id, "routes.read")
        return page("routes/eligibility.html", route=route, results=None, unknown=[])

    @post("/routes/{route_id:str}/eligibility", opt={"action": CHECK_ACTION, "read_only": True})
    async def eligibility(self, request: Request[Any, Any, Any], route_id: FromPath[str],
                          ctx: ActingContext, services: Services, db: Transaction) -> Template:
        """One worker or a pasted list (a form post: a pasted list has line breaks), checked
        now with the batch call; numbers outside the caller's scope read as unknown."""
        form = await Form.read(request)
        route = await get_route(db, ctx, route_id, "routes.read")
        wanted = pasted_numbers(form.value("employee_nos"))
        language = language_of(request.scope)
        if not wanted or len(wanted) > MAX_PASTED:
            text = (message(language, "TOO_MANY_WORKERS", {"maximum": MAX_PASTED}) if wanted
                    else message(language, "EMPLOYEE_NOS_MISSING", {"field": field_label(
                        language, "employee_nos")}))
            return page("routes/eligibility.html", route=route, results=None, unknown=[],
                        form=form, errors=field_errors(("employee_nos", text)), status=422)
        found = await ids_by_employee_no(db, ctx, wanted, action=CHECK_ACTION)
        ids = [found[n] for n in wanted if n in found]
        results = []
        if ids:
            _, results = await check(services.db, ctx, route.id, ids, at=ctx.now,
                                     policy_version=services.settings.policy.version,
                                     signatures=services.keys.attestations,
                                     cache=services.eligibility)
        return page("routes/eligibility.html", route=route, results=results, form=form,
                    unknown=[n for n in wanted if n not in found])

async def _route_page(db: Transaction, ctx: ActingContext, services: Services, route_id: str, *,
                      errors: FormErrors | None = None, status: int = 200) -> Template:
    """The route with its roster, each line judged as the API's roster judges it."""
    route, lines = await assignments.roster(db, ctx, services.settings.policy, route_id,
                                            signatures=services.keys.attestations,
                                            cache=services.eligibility)
    return page("routes/show.html", route=route, lines=lines, errors=errors, status=status,
                blocked=sum(1 for line in lines if not line.decision.eligible))


def _route_form(*, form: Form | None = None, errors: FormErrors | None = None,
                status: int = 200) -> Template:
    return page("routes/new.html", form=form, errors=errors, status=status, stages=STAGES,
                service_classes=SERVICE_CLASSES, secrecy=SECRECY)

