"""Post HR's worker pages: the list with its search and filters, one worker's page (masked
dossier, trainings, commitments, requests, clearance, timeline), and the forms to register a
worker, record a training or a signed commitment and nominate one worker for vetting.

Every handler calls what `api.controllers.workers` and `api.controllers.vetting_requests`
call, with the same input structs, so a page can register or nominate nobody the API would
refuse. A signed commitment's scan is uploaded only to compute its SHA-256: the file itself
is not kept, as the API takes only the digest.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from api.controllers.vetting_requests import SubmitIn
from api.controllers.workers import (
    ClearanceState,
    CommitmentIn,
    RegistrationFields,
    TrainingIn,
    WorkerIn,
    worker_input,
)
from api.i18n import action_label, language_of, message, rule
from api.pages.forms import REFUSALS, Form, field_errors, refusal
from api.pages.rendering import page, see_other
from api.pages.wording import WORDS
from api.pages.worker_form import worker_form
from api.schemas import Limit, Offset
from api.state import ActingContext, Services, Transaction, read_only_unless
from policies.access import scope_for
from policies.vocabulary import STAGES
from vetting.attestations import lifecycle
from vetting.requests import service as requests
from vetting.workers import corrections, listing, records, timeline
from vetting.workers.service import Dossier, create_worker, get_worker, read_dossier

PAGE_SIZE = 50
#: The largest commitment scan read (a few scanned A4 pages); larger is refused by name.
MAX_SCAN_BYTES = 20 * 1024 * 1024
RECORD, SUBMIT = "workers.record", "requests.submit"  # the forms' actions
Search = Annotated[str | None, QueryParameter(name="q", max_length=200)]
NationalId = Annotated[str | None, QueryParameter(name="national_id", max_length=12)]
StateFilter = Annotated[str | None, QueryParameter(name="clearance_state", max_length=20)]
CLEARANCE_STATES: tuple[str, ...] = ClearanceState.__args__  # type: ignore[attr-defined]


def _may(ctx: ActingContext, action: str) -> bool:
    return scope_for(ctx.actor.role, action) is not None


async def _worker_page(db: Transaction, ctx: ActingContext, services: Services, language: str,
                       worker_id: str
                       ) -> Template:
    """The worker as HR (or the police working the request) reads it: the dossier read is
    audited, as `GET /api/v1/workers/{id}` audits it; the national ID stays masked."""
    dossier = await read_dossier(db, ctx, services.keys.data, worker_id)
    trainings, _ = await records.list_trainings(db, ctx, worker_id, limit=20, offset=0)
    commitments, _ = await records.list_commitments(db, ctx, worker_id, limit=20, offset=0)
    lines, _ = await requests.list_requests(db, ctx, state=None, overdue=None,
                                            worker_id=worker_id, limit=20, offset=0)
    clearance = await lifecycle.view(db, ctx, worker_id)
    events, _ = await timeline.worker_timeline(db, ctx, worker_id, limit=30, offset=0)
    return page("workers/read.html", d=dossier, w=dossier.worker,
                trainings=trainings, commitments=commitments, lines=lines,
                clearance=clearance, words=WORDS,
                events=[(e.at, action_label(language, e.action), e.actor_role) for e in events],
                may_record=_may(ctx, "workers.record"),
                may_nominate=_may(ctx, "requests.submit"),
                may_correct=_may(ctx, corrections.ACTION),
                may_report=_may(ctx, "incidents.report"))


def _registration_form(dossier: Dossier) -> Form:
    """The correction form filled with the registration as it stands."""
    w = dossier.worker
    born = date.fromisoformat(dossier.date_of_birth)
    return Form(values={
        "full_name": [w.full_name], "employee_no": [w.employee_no],
        "date_of_birth-day": [str(born.day)], "date_of_birth-month": [str(born.month)],
        "date_of_birth-year": [str(born.year)], "sex": [w.sex],
        "hometown": [dossier.hometown], "permanent_address": [dossier.permanent_address],
        "permanent_province": [w.permanent_province],
        "current_address": [dossier.current_address], "stages": w.stages.split(",")})


def _typed_version(form: Form) -> int:
    """The version the form was filled from; anything else can only be stale."""
    text = form.value("version")
    return int(text) if text.isdigit() else -1


class WorkerPages(Controller):
    include_in_schema = False

    @get("/workers", opt={"action": "workers.read",
                          "read_only": read_only_unless("national_id")})
    async def workers(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                      services: Services, q: Search = None, national_id: NationalId = None,
                      clearance_state: StateFilter = None, limit: Limit = PAGE_SIZE,
                      offset: Offset = 0) -> Template:
        """The list, searched by name or employee number; a full national ID is looked up
        through the blind index and audited, as in the API, by the roles that may."""
        form = Form.of_query(request)
        language = language_of(request.scope)
        national_id = (national_id or "").strip() or None
        state = clearance_state if clearance_state in CLEARANCE_STATES else None
        may_look_up = listing.may_search_national_id(ctx.actor.role)
        errors = None
        if national_id is not None and (not may_look_up or not (
                national_id.isdigit() and len(national_id) == 12)):
            errors = field_errors(("national_id", rule(language, "national_id_format",
                                                       "national_id")))
            national_id = None
        rows, total = await listing.list_workers(
            db, ctx, services.keys.data, listing.WorkerFilter(
                q=(q or "").strip() or None, national_id=national_id, clearance_state=state),
            sort="name", limit=limit, offset=offset)
        return page("workers/list.html", status=422 if errors else 200, errors=errors,
                    form=form, rows=rows, total=total, limit=limit, offset=offset,
                    states=CLEARANCE_STATES, words=WORDS, may_look_up=may_look_up,
                    may_create=_may(ctx, "workers.create"),
                    may_nominate=_may(ctx, "requests.submit"))

    @get("/workers/new", opt={"action": "workers.create", "read_only": True})
    async def new_worker(self) -> Template:
        return page("workers/new.html", stages=STAGES, words=WORDS)

    @post("/workers/new", opt={"action": "workers.create"})
    async def register(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                       services: Services) -> Template | Redirect:
        form = await Form.read(request)
        try:
            data = form.parse(WorkerIn, post_unit=ctx.actor.unit or form.value("post_unit"))
            worker = await create_worker(db, ctx, services.keys.data, worker_input(data))
        except REFUSALS as exc:
            return page("workers/new.html", status=422, form=form, stages=STAGES,
                        words=WORDS, errors=await refusal(db, request, exc))
        return see_other(f"/workers/{worker.id}?notice=worker_registered")

    @get("/workers/{worker_id:str}", opt={"action": "workers.read"})
    async def worker(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                     db: Transaction,
                     ctx: ActingContext, services: Services) -> Template:
        """Not read-only: the dossier read is audited, as in the API."""
        return await _worker_page(db, ctx, services, language_of(request.scope), worker_id)

    @get("/workers/{worker_id:str}/edit", opt={"action": corrections.ACTION})
    async def edit_form(self, worker_id: FromPath[str], db: Transaction, ctx: ActingContext,
                        services: Services
                        ) -> Template:
        """Not read-only: filling the form reads the dossier, audited as any dossier read."""
        dossier = await read_dossier(db, ctx, services.keys.data, worker_id)
        return page("workers/edit.html", w=dossier.worker, form=_registration_form(dossier),
                    version=dossier.worker.version, stages=STAGES, words=WORDS)

    @post("/workers/{worker_id:str}/edit", opt={"action": corrections.ACTION})
    async def correct(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                      db: Transaction,
                      ctx: ActingContext, services: Services) -> Template | Redirect:
        """The API's correction (`PATCH /api/v1/workers/{id}`) with every field sent: only
        those that differ change, against the version the form was filled from."""
        form = await Form.read(request)
        version = _typed_version(form)
        try:
            data = form.parse(RegistrationFields)
            dossier = await corrections.correct_worker(
                db, ctx, services.keys.data, worker_id, msgspec.structs.asdict(data),
                expected_version=version)
        except REFUSALS as exc:
            errors = await refusal(db, request, exc)
            worker = await get_worker(db, ctx, worker_id, action=corrections.ACTION)
            return page("workers/edit.html", status=422, w=worker, form=form,
                        version=form.value("version"), stages=STAGES, words=WORDS,
                        errors=errors)
        notice = "worker_corrected" if dossier.worker.version != version else "nothing_changed"
        return see_other(f"/workers/{worker_id}?notice={notice}")

    @get("/workers/{worker_id:str}/trainings/new",
         opt={"action": "workers.record", "read_only": True})
    async def training_form(self, worker_id: FromPath[str], db: Transaction,
                            ctx: ActingContext) -> Template:
        return await worker_form(db, ctx, worker_id, "workers/training.html", action=RECORD)

    @post("/workers/{worker_id:str}/trainings/new", opt={"action": "workers.record"})
    async def add_training(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                           db: Transaction, ctx: ActingContext,
                           services: Services) -> Template | Redirect:
        form = await Form.read(request)
        try:
            data = form.parse(TrainingIn)
            await records.add_training(db, ctx, services.settings.policy, worker_id=worker_id,
                                       kind=data.kind, completed_on=data.completed_on,
                                       valid_until=data.valid_until)
        except REFUSALS as exc:
            return await worker_form(db, ctx, worker_id, "workers/training.html", action=RECORD,
                                     status=422, form=form, errors=await refusal(db, request, exc))
        return see_other(f"/workers/{worker_id}?notice=training_recorded")

    @get("/workers/{worker_id:str}/commitments/new",
         opt={"action": "workers.record", "read_only": True})
    async def commitment_form(self, worker_id: FromPath[str], db: Transaction,
                              ctx: ActingContext) -> Template:
        return await worker_form(db, ctx, worker_id, "workers/commitment.html", action=RECORD)

    @post("/workers/{worker_id:str}/commitments/new", opt={"action": "workers.record"},
          request_max_body_size=MAX_SCAN_BYTES + 64 * 1024)
    async def add_commitment(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                             db: Transaction, ctx: ActingContext) -> Template | Redirect:
        """The scan's SHA-256 is computed here and stored; the scan is then dropped."""
        form = await Form.read(request)
        upload = form.files.get("document")
        digest = None
        if upload is not None and upload.filename:
            content = await upload.read(MAX_SCAN_BYTES + 1)
            if content and len(content) <= MAX_SCAN_BYTES:
                digest = hashlib.sha256(content).hexdigest()
        language = language_of(request.scope)
        try:
            if digest is None:
                return await worker_form(
                    db, ctx, worker_id, "workers/commitment.html", action=RECORD, status=422,
                    form=form, errors=field_errors(("document", message(
                                language, "SCAN_MISSING", {
                                    "field": "document",
                                    "megabytes": MAX_SCAN_BYTES // (1024 * 1024)}))))
            data = form.parse(CommitmentIn, document_sha256=digest)
            await records.add_commitment(db, ctx, worker_id=worker_id,
                                         signed_on=data.signed_on,
                                         document_sha256=data.document_sha256)
        except REFUSALS as exc:
            return await worker_form(db, ctx, worker_id, "workers/commitment.html",
                                     action=RECORD, status=422, form=form,
                                     errors=await refusal(db, request, exc))
        return see_other(f"/workers/{worker_id}?notice=commitment_recorded")

    @get("/workers/{worker_id:str}/nominate",
         opt={"action": "requests.submit", "read_only": True})
    async def nominate_form(self, worker_id: FromPath[str], db: Transaction,
                            ctx: ActingContext) -> Template:
        return await worker_form(db, ctx, worker_id, "workers/nominate.html", action=SUBMIT)

    @post("/workers/{worker_id:str}/nominate", opt={"action": "requests.submit"})
    async def nominate(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                       db: Transaction, ctx: ActingContext,
                       services: Services) -> Template | Redirect:
        """A vetting request, routed by policy as the API routes it."""
        form = await Form.read(request)
        try:
            data = form.parse(SubmitIn, worker_id=worker_id)
            submitted = await requests.submit(db, ctx, services.settings.policy,
                                              worker_id=data.worker_id, reason=data.reason)
        except REFUSALS as exc:
            return await worker_form(db, ctx, worker_id, "workers/nominate.html", action=SUBMIT,
                                     status=422, form=form, errors=await refusal(db, request, exc))
        return see_other(f"/requests/{submitted.id}?notice=request_submitted")
