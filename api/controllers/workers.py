"""Workers: registration, dossiers (shaped per role), training, commitments, leave."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.exceptions import HTTPException
from litestar.params import Body, FromPath, FromQuery, JSONBody, QueryParameter
from msgspec import UNSET, UnsetType

from api.auth.access import deny
from api.controllers.vetting_requests import expected_version
from api.i18n import action_label, language_of
from api.problems import documented
from api.schemas import Limit, Offset, Page, Strict
from api.state import ActingContext, Services, Transaction, read_only_unless
from policies.access import DISPATCHER, INSPECTOR
from policies.vocabulary import Stage
from vetting.models import Commitment, Training, Worker
from vetting.retention import refuse_worker_deletion
from vetting.workers import corrections, listing, records, timeline
from vetting.workers.service import (
    Dossier,
    WorkerInput,
    create_worker,
    dossier_of,
    get_worker,
    read_dossier,
)

Text200 = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Text500 = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
UnitCode = Annotated[str, msgspec.Meta(pattern=r"^POST-[0-9A-Z-]{2,30}$")]
ClearanceState = Literal["none", "pending", "active", "expired", "suspended", "revoked",
                         "not_cleared"]
Sort = Literal["name", "-name", "employee_no", "-employee_no", "created_at", "-created_at"]


EmployeeNo = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._/-]{1,32}$")]
ProvinceCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2}$")]
Stages = Annotated[list[Stage], msgspec.Meta(min_length=1, max_length=4)]
Sex = Literal["male", "female"]


class RegistrationFields(Strict):
    """What a registration holds that a correction may change (`corrections.CORRECTABLE`):
    the correction form reads every one of them, a registration adds the two that never
    change."""

    employee_no: EmployeeNo
    full_name: Text200
    date_of_birth: date
    sex: Sex
    hometown: Text200
    permanent_address: Text500
    permanent_province: ProvinceCode
    current_address: Text500
    stages: Stages


class WorkerIn(RegistrationFields, kw_only=True):
    national_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{12}$")]
    post_unit: UnitCode


class WorkerPatch(Strict):
    """A JSON merge patch (RFC 7396) of the registration: members left out stay as they are;
    null would remove a member, and every one is required, so null is refused. `national_id`
    and `post_unit` are known here only to be refused with their reason (422)."""

    employee_no: EmployeeNo | UnsetType | None = UNSET
    full_name: Text200 | UnsetType | None = UNSET
    date_of_birth: date | UnsetType | None = UNSET
    sex: Sex | UnsetType | None = UNSET
    hometown: Text200 | UnsetType | None = UNSET
    permanent_address: Text500 | UnsetType | None = UNSET
    permanent_province: ProvinceCode | UnsetType | None = UNSET
    current_address: Text500 | UnsetType | None = UNSET
    stages: Stages | UnsetType | None = UNSET
    national_id: Any = UNSET
    post_unit: Any = UNSET

    def members(self) -> dict[str, Any]:
        """The members the patch carries, by name (null kept: the domain refuses it)."""
        return {f: v for f in self.__struct_fields__ if (v := getattr(self, f)) is not UNSET}


#: The media types a worker correction is read from: a JSON merge patch, or plain JSON
#: meaning the same (a JSON Patch, RFC 6902, means something else and is refused).
PATCH_MEDIA_TYPES = frozenset({"application/merge-patch+json", "application/json"})


async def _correction_preconditions(request: Request[Any, Any, Any]) -> None:
    """Before the body is read: a merge patch, against a named version (If-Match)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in PATCH_MEDIA_TYPES:
        raise HTTPException(status_code=415, detail="send a JSON merge patch",
                            extra={"code": "PATCH_MEDIA_TYPE"})
    if expected_version(request, None) is None:
        raise HTTPException(status_code=428, detail="If-Match is required",
                            extra={"code": "IF_MATCH_REQUIRED"})


def _etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


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


def worker_input(data: WorkerIn) -> WorkerInput:
    """What the registration service takes, from the checked request (or spreadsheet row)."""
    return WorkerInput(
        employee_no=data.employee_no, full_name=data.full_name,
        date_of_birth=data.date_of_birth, sex=data.sex, national_id=data.national_id,
        hometown=data.hometown, permanent_address=data.permanent_address,
        permanent_province=data.permanent_province, current_address=data.current_address,
        post_unit=data.post_unit, stages=tuple(data.stages))


class TimelineItem(msgspec.Struct, kw_only=True):
    """One event of the worker's timeline: what happened and which role did it, never
    personal data (`actor_id` only for roles that read it in the audit log anyway)."""

    at: datetime
    action: str
    label: str
    actor_role: str
    outcome: str
    object_type: str | None
    object_id: str | None
    actor_id: str | None = None
    fields: list[str] | None = None  # a correction: the fields that changed


def _training(t: Training) -> RecordOut:
    return RecordOut(id=t.id, worker_id=t.worker_id, kind=t.kind, completed_on=t.completed_on,
                     valid_until=t.valid_until, created_at=t.created_at)


def _commitment(c: Commitment) -> RecordOut:
    return RecordOut(id=c.id, worker_id=c.worker_id, signed_on=c.signed_on,
                     document_sha256=c.document_sha256, created_at=c.created_at)


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
    async def create(self, data: JSONBody[WorkerIn], db: Transaction, ctx: ActingContext,
                     services: Services
                     ) -> DossierOut:
        worker = await create_worker(db, ctx, services.keys.data, worker_input(data))
        return _dossier(await dossier_of(db, ctx, services.keys.data, worker))

    # a reader, but for a national ID lookup, which is audited
    @get("/", opt={"action": "workers.read", "read_only": read_only_unless("national_id")},
         responses=documented(400, 401, 403))
    async def list(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                   services: Services,
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
            db, ctx, services.keys.data, listing.WorkerFilter(
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
    async def read(self, worker_id: FromPath[str], db: Transaction, ctx: ActingContext,
                   services: Services
                   ) -> Response[DossierOut | InspectorView | WorkerSummary]:
        """Shaped per role: dispatchers get a summary, inspectors a masked view, HR and the
        police working the worker's request the (audited) dossier. The ETag is the version a
        correction names in If-Match."""
        if ctx.actor.role == DISPATCHER:
            worker = await get_worker(db, ctx, worker_id)
            summary = WorkerSummary(**_summary(worker))  # type: ignore[arg-type]
            return Response(summary, headers=_etag(worker.version))
        if ctx.actor.role == INSPECTOR:
            worker = await get_worker(db, ctx, worker_id)
            masked = InspectorView(**_summary(worker),  # type: ignore[arg-type]
                                   national_id=worker.national_id_mask)
            return Response(masked, headers=_etag(worker.version))
        dossier = _dossier(await read_dossier(db, ctx, services.keys.data, worker_id))
        return Response(dossier, headers=_etag(dossier.version))

    @patch("/{worker_id:str}", opt={"action": corrections.ACTION},
           before_request=_correction_preconditions,
           responses=documented(400, 401, 403, 404, 409, 415, 422, 428))
    async def correct(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                      data: Annotated[WorkerPatch, Body(
                          media_type="application/merge-patch+json")],
                      db: Transaction, ctx: ActingContext,
                      services: Services) -> Response[DossierOut]:
        """Correct the registration (RFC 7396 merge patch) at the version of `If-Match`:
        a stale version is 409 and nothing is written. The answer is the new dossier and its
        ETag; the national ID and the post unit are not correctable (422)."""
        version = expected_version(request, None)
        assert version is not None  # _correction_preconditions
        dossier = _dossier(await corrections.correct_worker(
            db, ctx, services.keys.data, worker_id, data.members(), expected_version=version))
        return Response(dossier, headers=_etag(dossier.version))

    @post("/{worker_id:str}/trainings", opt={"action": "workers.record"},
          responses=documented(400, 401, 403, 404, 409, 422))
    async def add_training(self, worker_id: FromPath[str], data: JSONBody[TrainingIn],
                           db: Transaction,
                           ctx: ActingContext, services: Services) -> RecordOut:
        return _training(await records.add_training(
            db, ctx, services.settings.policy, worker_id=worker_id, kind=data.kind,
            completed_on=data.completed_on, valid_until=data.valid_until))

    @post("/{worker_id:str}/commitments", opt={"action": "workers.record"},
          responses=documented(400, 401, 403, 404, 409, 422))
    async def add_commitment(self, worker_id: FromPath[str], data: JSONBody[CommitmentIn],
                             db: Transaction, ctx: ActingContext) -> RecordOut:
        return _commitment(await records.add_commitment(
            db, ctx, worker_id=worker_id, signed_on=data.signed_on,
            document_sha256=data.document_sha256))

    @get("/{worker_id:str}/trainings", opt={"action": "workers.read", "read_only": True},
         responses=documented(400, 401, 403, 404))
    async def trainings(self, worker_id: FromPath[str], db: Transaction, ctx: ActingContext,
                        limit: Limit = 50,
                        offset: Offset = 0) -> Page[RecordOut]:
        """The worker's training records, latest first: whoever may read the worker."""
        rows, total = await records.list_trainings(db, ctx, worker_id, limit=limit,
                                                   offset=offset)
        return Page(items=[_training(t) for t in rows], total=total)

    @get("/{worker_id:str}/commitments", opt={"action": "workers.read", "read_only": True},
         responses=documented(400, 401, 403, 404))
    async def commitments(self, worker_id: FromPath[str], db: Transaction, ctx: ActingContext,
                          limit: Limit = 50,
                          offset: Offset = 0) -> Page[RecordOut]:
        """The worker's signed commitments, latest first: whoever may read the worker."""
        rows, total = await records.list_commitments(db, ctx, worker_id, limit=limit,
                                                     offset=offset)
        return Page(items=[_commitment(c) for c in rows], total=total)

    @get("/{worker_id:str}/timeline", opt={"action": "workers.read", "read_only": True},
         responses=documented(400, 401, 403, 404))
    async def read_timeline(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                            db: Transaction, ctx: ActingContext, limit: Limit = 50,
                            offset: Offset = 0) -> Page[TimelineItem]:
        """The worker's events from the audit log, newest first, shaped per role: HR of the
        unit and the inspector see every event, the police those that bear on vetting (their
        own unit's requests), a dispatcher those that bear on eligibility."""
        language = language_of(request.scope)
        events, total = await timeline.worker_timeline(db, ctx, worker_id, limit=limit,
                                                       offset=offset)
        return Page(items=[TimelineItem(
            at=e.at, action=e.action, label=action_label(language, e.action),
            actor_role=e.actor_role, outcome=e.outcome, object_type=e.object_type,
            object_id=e.object_id, actor_id=e.actor_id, fields=e.fields) for e in events],
            total=total)

    @post("/{worker_id:str}/leave", opt={"action": "workers.record"}, status_code=200,
          responses=documented(400, 401, 403, 404, 409, 422))
    async def leave(self, worker_id: FromPath[str], data: JSONBody[LeaveIn], db: Transaction,
                    ctx: ActingContext) -> WorkerSummary:
        worker = await records.record_leave(db, ctx, worker_id=worker_id, left_on=data.left_on,
                                            reason=data.reason)
        return WorkerSummary(**_summary(worker))  # type: ignore[arg-type]

    @delete("/{worker_id:str}", opt={"action": "records.delete"}, status_code=409,
            responses=documented(401, 403, 404, 409))
    async def delete(self, worker_id: FromPath[str], db: Transaction, ctx: ActingContext,
                     services: Services) -> None:
        """Always refused (409): nothing is hard-deleted; the refusal itself is audited."""
        await refuse_worker_deletion(db, ctx, services.settings.policy, worker_id)
