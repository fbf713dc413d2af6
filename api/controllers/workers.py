"""Workers: registration, dossiers (shaped per role), training, commitments, leave."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.auth.access import deny
from api.problems import documented, problem
from api.schemas import Limit, Offset, Page, Strict
from api.state import Ctx, Db, Reg
from policies.access import DISPATCHER, INSPECTOR
from policies.vocabulary import Stage
from vetting.errors import Conflict
from vetting.models import Worker
from vetting.retention import refuse_worker_deletion
from vetting.workers import listing, records
from vetting.workers.service import Dossier, WorkerInput, create_worker, get_worker, read_dossier

Text200 = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Text500 = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
UnitCode = Annotated[str, msgspec.Meta(pattern=r"^POST-[0-9A-Z-]{2,30}$")]
ClearanceState = Literal["none", "pending", "active", "expired", "suspended", "revoked",
                         "not_cleared"]
Sort = Literal["name", "-name", "employee_no", "-employee_no", "created_at", "-created_at"]


class WorkerIn(Strict):
    employee_no: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._/-]{1,32}$")]
    full_name: Text200
    date_of_birth: date
    sex: Literal["male", "female"]
    national_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{12}$")]
    hometown: Text200
    permanent_address: Text500
    permanent_province: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2}$")]
    current_address: Text500
    post_unit: UnitCode
    stages: Annotated[list[Stage], msgspec.Meta(min_length=1, max_length=4)]


class TrainingIn(Strict):
    kind: Literal["postal_operations", "kt1_security"]
    completed_on: date
    valid_until: date | None = None


class CommitmentIn(Strict):
    signed_on: date
    document_sha256: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]


class LeaveIn(Strict):
    left_on: date
    reason: Text500


class WorkerSummary(msgspec.Struct, kw_only=True):
    """What a dispatcher may see: no dossier data."""

    id: str
    employee_no: str
    full_name: str
    post_unit: str
    stages: list[str]
    employed: bool


class InspectorView(WorkerSummary, kw_only=True):
    national_id: str


class ListedSummary(WorkerSummary, kw_only=True):
    """A list line: the summary and the clearance state (what `/clearance` would say)."""

    clearance_state: str
    clearance_valid_until: datetime | None


class ListedMasked(ListedSummary, kw_only=True):
    national_id: str


class DossierOut(WorkerSummary, kw_only=True):
    national_id: str
    national_id_masked: bool
    date_of_birth: str
    sex: str
    hometown: str
    permanent_address: str
    permanent_province: str
    current_address: str
    left_on: date | None
    version: int


class RecordOut(msgspec.Struct, kw_only=True):
    id: str
    worker_id: str
    kind: str | None = None
    completed_on: date | None = None
    valid_until: date | None = None
    signed_on: date | None = None
    document_sha256: str | None = None
    created_at: datetime


def _summary(worker: Worker) -> dict[str, object]:
    return {"id": worker.id, "employee_no": worker.employee_no, "full_name": worker.full_name,
            "post_unit": worker.post_unit_code, "stages": worker.stages.split(","),
            "employed": worker.left_on is None}


def _dossier(d: Dossier) -> DossierOut:
    w = d.worker
    return DossierOut(**_summary(w), national_id=d.national_id,  # type: ignore[arg-type]
                      national_id_masked=not d.full_national_id, date_of_birth=d.date_of_birth,
                      sex=w.sex, hometown=d.hometown, permanent_address=d.permanent_address,
                      permanent_province=w.permanent_province,
                      current_address=d.current_address, left_on=w.left_on, version=w.version)


class WorkerController(Controller):
    path = "/api/v1/workers"
    tags = ["workers"]  # noqa: RUF012

    @post("/", opt={"action": "workers.create"}, responses=documented(400, 401, 403, 409, 422))
    async def create(self, data: JSONBody[WorkerIn], db: Db, ctx: Ctx, registry: Reg
                     ) -> DossierOut:
        worker = await create_worker(db, ctx, registry.keys.data, WorkerInput(
            employee_no=data.employee_no, full_name=data.full_name,
            date_of_birth=data.date_of_birth, sex=data.sex, national_id=data.national_id,
            hometown=data.hometown, permanent_address=data.permanent_address,
            permanent_province=data.permanent_province, current_address=data.current_address,
            post_unit=data.post_unit, stages=tuple(data.stages)))
        return _dossier(await read_dossier(db, ctx, registry.keys.data, worker.id))

    @get("/", opt={"action": "workers.read"}, responses=documented(400, 401, 403))
    async def list(self, request: Request[Any, Any, Any], db: Db, ctx: Ctx, registry: Reg,
                   q: Annotated[str | None, QueryParameter(min_length=1, max_length=200)] = None,
                   national_id: Annotated[str | None, QueryParameter(
                       pattern=r"^[0-9]{12}$")] = None,
                   post_unit: Annotated[str | None, QueryParameter(
                       pattern=r"^POST-[0-9A-Z-]{2,30}$")] = None,
                   employed: FromQuery[bool | None] = None, stage: FromQuery[Stage | None] = None,
                   clearance_state: FromQuery[ClearanceState | None] = None,
                   expiring_within_days: Annotated[int | None, QueryParameter(
                       ge=0, le=3660)] = None,
                   sort: FromQuery[Sort] = "name", limit: Limit = 50, offset: Offset = 0
                   ) -> Page[ListedSummary] | Page[ListedMasked]:
        """Dispatchers get summaries; everyone else the masked national ID, never the dossier.
        A national ID lookup is for HR and the police; anyone else's is refused (audited)."""
        if national_id is not None and not listing.may_search_national_id(ctx.actor.role):
            await deny(request.scope, ctx.actor, listing.NATIONAL_ID_SEARCH)
        rows, total = await listing.list_workers(
            db, ctx, registry.keys.data, listing.WorkerFilter(
                q=q, national_id=national_id, post_unit=post_unit, employed=employed,
                stage=stage, clearance_state=clearance_state,
                expiring_within_days=expiring_within_days),
            sort=sort, limit=limit, offset=offset)
        if ctx.actor.role == DISPATCHER:
            return Page(items=[ListedSummary(
                **_summary(r.worker), clearance_state=r.clearance_state,  # type: ignore[arg-type]
                clearance_valid_until=r.clearance_valid_until) for r in rows], total=total)
        return Page(items=[ListedMasked(
            **_summary(r.worker), clearance_state=r.clearance_state,  # type: ignore[arg-type]
            clearance_valid_until=r.clearance_valid_until,
            national_id=r.worker.national_id_mask) for r in rows], total=total)

    @get("/{worker_id:str}", opt={"action": "workers.read"}, responses=documented(401, 403, 404))
    async def read(self, worker_id: FromPath[str], db: Db, ctx: Ctx, registry: Reg
                   ) -> DossierOut | InspectorView | WorkerSummary:
        """Shaped per role: dispatchers get a summary, inspectors a masked view, HR and the
        police working the worker's request the (audited) dossier."""
        if ctx.actor.role == DISPATCHER:
            return WorkerSummary(**_summary(await get_worker(db, ctx, worker_id)))  # type: ignore[arg-type]
        if ctx.actor.role == INSPECTOR:
            worker = await get_worker(db, ctx, worker_id)
            return InspectorView(**_summary(worker),  # type: ignore[arg-type]
                                 national_id=worker.national_id_mask)
        return _dossier(await read_dossier(db, ctx, registry.keys.data, worker_id))

    @post("/{worker_id:str}/trainings", opt={"action": "workers.record"},
          responses=documented(400, 401, 403, 404, 409, 422))
    async def add_training(self, worker_id: FromPath[str], data: JSONBody[TrainingIn], db: Db,
                           ctx: Ctx, registry: Reg) -> RecordOut:
        t = await records.add_training(db, ctx, registry.settings.policy, worker_id=worker_id,
                                       kind=data.kind, completed_on=data.completed_on,
                                       valid_until=data.valid_until)
        return RecordOut(id=t.id, worker_id=t.worker_id, kind=t.kind,
                         completed_on=t.completed_on, valid_until=t.valid_until,
                         created_at=t.created_at)

    @post("/{worker_id:str}/commitments", opt={"action": "workers.record"},
          responses=documented(400, 401, 403, 404, 409, 422))
    async def add_commitment(self, worker_id: FromPath[str], data: JSONBody[CommitmentIn],
                             db: Db, ctx: Ctx) -> RecordOut:
        c = await records.add_commitment(db, ctx, worker_id=worker_id, signed_on=data.signed_on,
                                         document_sha256=data.document_sha256)
        return RecordOut(id=c.id, worker_id=c.worker_id, signed_on=c.signed_on,
                         document_sha256=c.document_sha256, created_at=c.created_at)

    @post("/{worker_id:str}/leave", opt={"action": "workers.record"}, status_code=200,
          responses=documented(400, 401, 403, 404, 409, 422))
    async def leave(self, worker_id: FromPath[str], data: JSONBody[LeaveIn], db: Db,
                    ctx: Ctx) -> WorkerSummary:
        worker = await records.record_leave(db, ctx, worker_id=worker_id, left_on=data.left_on,
                                            reason=data.reason)
        return WorkerSummary(**_summary(worker))  # type: ignore[arg-type]

    @delete("/{worker_id:str}", opt={"action": "records.delete"}, status_code=409,
            responses=documented(401, 403, 404, 409))
    async def delete(self, worker_id: FromPath[str], db: Db, ctx: Ctx,
                     registry: Reg) -> Response[Any]:
        """Always refused: nothing is hard-deleted; the refusal itself is audited."""
        try:
            await refuse_worker_deletion(db, ctx, registry.settings.policy, worker_id)
        except Conflict as refused:
            return problem(409, refused.code, refused.detail, **refused.extra)
        raise AssertionError("unreachable")  # pragma: no cover
