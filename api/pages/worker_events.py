"""What ends or interrupts a worker's KT1 work, reported by Post HR: leaving the Post and an
incident (loss, damage, suspected leak...). Both change what the worker may do at once (a
leaving revokes the clearance, a suspending incident suspends it), so each form is followed
by a "check your answers" page before anything is written.

The handlers call what `api.controllers.workers` (`leave`) and `api.controllers.incidents`
(`report`) call, with the same input structs (`LeaveIn`, `IncidentIn`).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api.controllers.incidents import IncidentIn
from api.controllers.workers import LeaveIn
from api.pages.forms import REFUSALS, Form, FormErrors, refusal
from api.pages.rendering import page, see_other
from api.pages.wording import WORDS
from api.pages.worker_form import worker_form
from api.state import ActingContext, Services, Transaction
from policies.vocabulary import INCIDENT_KINDS
from vetting.incidents import service as incidents
from vetting.workers import records
from vetting.workers.service import get_worker

LEAVE = {"action": "workers.record"}
REPORT = {"action": "incidents.report"}


async def _leave_form(db: Transaction, ctx: ActingContext, worker_id: str, *, status: int = 200,
                      form: Form | None = None, errors: FormErrors | None = None
                      ) -> Template:
    return await worker_form(db, ctx, worker_id, "workers/leave.html", action=LEAVE["action"],
                             status=status, form=form, errors=errors)


async def _incident_form(db: Transaction, ctx: ActingContext, worker_id: str, *, status: int = 200,
                         form: Form | None = None, errors: FormErrors | None = None
                         ) -> Template:
    return await worker_form(db, ctx, worker_id, "workers/incident.html",
                             action=REPORT["action"], status=status, form=form, errors=errors,
                             kinds=INCIDENT_KINDS, words=WORDS)


def _incident_input(form: Form, worker_id: str) -> IncidentIn:
    return form.parse(IncidentIn, worker_ids=[worker_id],
                      occurred_at=form.local_instant("occurred_at"))


class WorkerEventPages(Controller):
    include_in_schema = False

    @get("/workers/{worker_id:str}/leave", opt={**LEAVE, "read_only": True})
    async def leave_form(self, worker_id: FromPath[str], db: Transaction,
                         ctx: ActingContext) -> Template:
        return await _leave_form(db, ctx, worker_id)

    @post("/workers/{worker_id:str}/leave/check", opt={**LEAVE, "read_only": True})
    async def leave_check(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                          db: Transaction, ctx: ActingContext) -> Template:
        """The answers read (and refused as the API would), then what leaving will do;
        "change" goes back to the form with what was typed."""
        form = await Form.read(request)
        if form.value("change"):
            return await _leave_form(db, ctx, worker_id, form=form)
        try:
            data = form.parse(LeaveIn)
        except REFUSALS as exc:
            return await _leave_form(db, ctx, worker_id, status=422, form=form,
                                     errors=await refusal(None, request, exc))
        worker = await get_worker(db, ctx, worker_id, action="workers.record")
        return page("workers/leave_check.html", w=worker, form=form, left_on=data.left_on,
                    reason=data.reason)

    @post("/workers/{worker_id:str}/leave", opt=LEAVE)
    async def leave(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                    db: Transaction,
                    ctx: ActingContext) -> Template | Redirect:
        form = await Form.read(request)
        try:
            data = form.parse(LeaveIn)
            await records.record_leave(db, ctx, worker_id=worker_id, left_on=data.left_on,
                                       reason=data.reason)
        except REFUSALS as exc:
            errors = await refusal(db, request, exc)
            return await _leave_form(db, ctx, worker_id, status=422, form=form, errors=errors)
        return see_other(f"/workers/{worker_id}?notice=worker_left")

    @get("/workers/{worker_id:str}/incident", opt={**REPORT, "read_only": True})
    async def incident_form(self, worker_id: FromPath[str], db: Transaction,
                            ctx: ActingContext) -> Template:
        return await _incident_form(db, ctx, worker_id)

    @post("/workers/{worker_id:str}/incident/check", opt={**REPORT, "read_only": True})
    async def incident_check(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                             db: Transaction, ctx: ActingContext, services: Services) -> Template:
        form = await Form.read(request)
        if form.value("change"):
            return await _incident_form(db, ctx, worker_id, form=form)
        try:
            data = _incident_input(form, worker_id)
        except REFUSALS as exc:
            return await _incident_form(db, ctx, worker_id, status=422, form=form,
                                        errors=await refusal(None, request, exc))
        worker = await get_worker(db, ctx, worker_id, action="incidents.report")
        suspends = data.kind in services.settings.policy.suspending_incident_kinds
        return page("workers/incident_check.html", w=worker, form=form, data=data,
                    suspends=suspends, words=WORDS)

    @post("/workers/{worker_id:str}/incident", opt=REPORT)
    async def report(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                     db: Transaction,
                     ctx: ActingContext, services: Services) -> Template | Redirect:
        form = await Form.read(request)
        try:
            data = _incident_input(form, worker_id)
            new = await incidents.report(
                db, ctx, services.settings.policy, services.keys.data, kind=data.kind,
                occurred_at=data.occurred_at, description=data.description,
                worker_ids=data.worker_ids, route_id=data.route_id)
        except REFUSALS as exc:
            errors = await refusal(db, request, exc)
            return await _incident_form(db, ctx, worker_id, status=422, form=form,
                                        errors=errors)
        return see_other(f"/incidents/{new.id}?notice=incident_reported")
