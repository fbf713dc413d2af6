"""Incidents: the list and one incident for everyone the API lets read them (scoped by the
service), and for a police lead the reviews their unit must conclude: reinstate or revoke
each suspended worker, after a "check your answers" page, by the API's own service and
input struct (`ConcludeIn`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from api.controllers.incidents import ConcludeIn
from api.pages.forms import REFUSALS, Form, FormErrors, refusal
from api.pages.rendering import page, see_other
from api.pages.wording import WORDS
from api.schemas import Limit, Offset
from api.state import ActingContext, Services, Transaction
from policies.access import scope_for
from vetting.errors import Conflict, NotFound
from vetting.incidents import service as incidents
from vetting.principal import Context

StateQuery = Annotated[Literal["open", "concluded", ""] | None, QueryParameter(name="state")]
WorkerQuery = Annotated[str, QueryParameter(name="worker_id", min_length=1, max_length=64)]
READ = {"action": "incidents.read", "read_only": True}
CONCLUDE = {"action": "incidents.conclude"}
PAGE_SIZE = 50


def concludes(ctx: Context) -> bool:
    """Whether the caller's role concludes reviews (the access table's word)."""
    return scope_for(ctx.actor.role, "incidents.conclude") is not None


async def _incident(db: Transaction, ctx: ActingContext, services: Services,
                    incident_id: str) -> dict[str, Any]:
    view = await incidents.get(db, ctx, services.keys.data, incident_id)
    return {"i": view.incident, "description": view.description,
            "involved": await incidents.involved(db, ctx, view), "words": WORDS}


def _to_conclude(view: dict[str, Any], worker_id: str) -> Any:
    """The involved worker whose review the caller's unit must conclude, or None."""
    return next((w for w in view["involved"] if w.worker_id == worker_id and w.to_conclude),
                None)


async def _conclude_page(db: Transaction, ctx: ActingContext, services: Services, incident_id: str,
                         worker_id: str, *,
                         status: int = 200, form: Form | None = None,
                         errors: FormErrors | None = None) -> Template:
    """The decision's form; once the review is no longer the caller's to conclude (someone
    concluded it meanwhile) the incident page, with the errors if any."""
    view = await _incident(db, ctx, services, incident_id)
    person = _to_conclude(view, worker_id)
    if person is None:
        if errors is None:
            raise NotFound("no review of this worker for your unit under this incident")
        return page("incidents/read.html", status=status, errors=errors, lead=concludes(ctx),
                    **view)
    return page("incidents/conclude.html", status=status, form=form, errors=errors,
                person=person, **view)


class IncidentPages(Controller):
    include_in_schema = False

    @get("/incidents", opt=READ)
    async def incidents_list(self, db: Transaction, ctx: ActingContext,
                             state_filter: StateQuery = None,
                             awaiting: FromQuery[bool | None] = None, limit: Limit = PAGE_SIZE,
                             offset: Offset = 0) -> Template:
        """`awaiting`: a lead's reviews to conclude (the incidents holding a clearance their
        unit issued)."""
        lead = concludes(ctx)
        rows, total = await incidents.list_incidents(
            db, ctx, state=state_filter or None, limit=limit, offset=offset,
            awaiting=bool(awaiting) and lead)
        return page("incidents/list.html", lines=rows, total=total, limit=limit,
                    offset=offset, state_filter=state_filter or None,
                    awaiting=bool(awaiting) and lead, lead=lead, words=WORDS)

    @get("/incidents/{incident_id:str}", opt=READ)
    async def incident(self, incident_id: FromPath[str], db: Transaction, ctx: ActingContext,
                       services: Services) -> Template:
        return page("incidents/read.html", lead=concludes(ctx),
                    **await _incident(db, ctx, services, incident_id))

    @get("/incidents/{incident_id:str}/conclude", opt={**CONCLUDE, "read_only": True})
    async def conclude_form(self, incident_id: FromPath[str], worker_id: WorkerQuery,
                            db: Transaction,
                            ctx: ActingContext, services: Services) -> Template:
        return await _conclude_page(db, ctx, services, incident_id, worker_id)

    @post("/incidents/{incident_id:str}/conclude/check", opt={**CONCLUDE, "read_only": True})
    async def check(self, request: Request[Any, Any, Any], incident_id: FromPath[str],
                    db: Transaction,
                    ctx: ActingContext, services: Services) -> Template:
        """The decision read (and refused as the API would), then shown before it is made;
        "change" goes back to the form with what was typed."""
        form = await Form.read(request)
        worker_id = form.value("worker_id")
        if form.value("change"):
            return await _conclude_page(db, ctx, services, incident_id, worker_id, form=form)
        try:
            data = form.parse(ConcludeIn)
        except REFUSALS as exc:
            return await _conclude_page(db, ctx, services, incident_id, worker_id, status=422,
                                        form=form, errors=await refusal(None, request, exc))
        view = await _incident(db, ctx, services, incident_id)
        person = _to_conclude(view, data.worker_id)
        if person is None:
            raise NotFound("no review of this worker for your unit under this incident")
        return page("incidents/check.html", data=data, person=person, **view)

    @post("/incidents/{incident_id:str}/conclude", opt=CONCLUDE)
    async def conclude(self, request: Request[Any, Any, Any], incident_id: FromPath[str],
                       db: Transaction, ctx: ActingContext,
                       services: Services) -> Template | Redirect:
        form = await Form.read(request)
        try:
            data = form.parse(ConcludeIn)
            await incidents.conclude(db, ctx, incident_id, worker_id=data.worker_id,
                                     decision=data.decision, reason=data.reason)
        except REFUSALS as exc:
            errors = await refusal(db, request, exc)
            return await _conclude_page(db, ctx, services, incident_id, form.value("worker_id"),
                                        status=409 if isinstance(exc, Conflict) else 422,
                                        form=form, errors=errors)
        return see_other(f"/incidents/{incident_id}?notice=incident_conclude")
