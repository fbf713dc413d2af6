"""Vetting requests: HR's outbox, the police inbox, and every transition of the workflow.

Transitions accept an optional `If-Match: "<version>"` header (or `version` in the body):
a stale version is a 409, never a silent overwrite.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import documented
from api.schemas import CREATED_AT, Limit, Offset, Page, Strict, created
from api.state import ActingContext, AppServices, Services, Transaction
from policies.access import POLICE
from policies.vetting_states import TRANSITIONS
from policies.vocabulary import OPEN_STATES, STAGES, Stage
from policies.vocabulary import RequestState as State
from vetting.errors import InvalidInput
from vetting.models import VettingRequest
from vetting.personal_data import DataProtection
from vetting.principal import Context
from vetting.requests import service

Note = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
Version = Annotated[int, msgspec.Meta(ge=1)]
ERRORS = documented(400, 401, 403, 404, 409, 422)


class SubmitIn(Strict):
    worker_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


#: How many workers one batch nomination may name.
MAX_BATCH = 500


class BatchSubmitIn(Strict):
    worker_ids: Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=64)]],
                          msgspec.Meta(min_length=1, max_length=MAX_BATCH)]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class VersionIn(Strict):
    version: Version | None = None


class NoteIn(Strict):
    note: Note
    version: Version | None = None


class ResubmitIn(Strict):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)] | None = None
    stages: Annotated[list[Stage], msgspec.Meta(min_length=1, max_length=4)] | None = None
    current_address: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | None = None
    permanent_address: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | None = None
    version: Version | None = None


class TransferIn(Strict):
    police_unit: Annotated[str, msgspec.Meta(pattern=r"^POLICE-[0-9A-Z-]{2,30}$")]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    version: Version | None = None


class ProposeIn(Strict):
    outcome: Literal["meets_standard", "does_not_meet"]
    note: Note
    version: Version | None = None


class EventOut(msgspec.Struct, kw_only=True):
    at: datetime
    action: str
    from_state: str | None
    to_state: str
    police_unit: str
    actor_id: str | None
    reason: str | None = None  # why a transfer was made


class RequestOut(msgspec.Struct, kw_only=True):
    """HR sees the outcome and what the police asked for; only police see their note."""

    id: str
    worker_id: str
    state: str
    post_unit: str
    police_unit: str
    reason: str
    stages: list[str]
    due_on: date
    overdue: bool
    submitted_at: datetime
    outcome: str | None
    decided_at: datetime | None
    info_request: str | None
    policy_version: str
    version: int
    proposed_outcome: str | None = None
    proposed_by: str | None = None
    claimed_by: str | None = None
    approved_by: str | None = None
    police_note: str | None = None
    history: list[EventOut] | None = None
    #: in lists only: who the request is about (no dossier data)
    worker_full_name: str | None = None
    worker_employee_no: str | None = None


class BatchOut(msgspec.Struct, kw_only=True):
    batch_id: str
    items: list[RequestOut]
    total: int


def _open(protection: DataProtection, r: VettingRequest, column: str) -> str | None:
    blob = getattr(r, f"{column}_enc")
    return None if blob is None else protection.unseal(blob, table="vetting_request",
                                                       column=column, row_id=r.id)


def request_out(r: VettingRequest, ctx: Context, protection: DataProtection) -> RequestOut:
    """The request as the caller's role may see it (the API's answer; the pages show it)."""
    police = ctx.actor.role in POLICE
    return RequestOut(
        id=r.id, worker_id=r.worker_id, state=r.state, post_unit=r.post_unit_code,
        police_unit=r.police_unit_code, reason=r.reason,
        stages=[s for s in STAGES if s in r.stages.split(",")], due_on=r.due_on,
        overdue=r.state in OPEN_STATES and r.due_on < ctx.today,
        submitted_at=r.submitted_at, outcome=r.outcome, decided_at=r.decided_at,
        info_request=_open(protection, r, "info_request"), policy_version=r.policy_version,
        version=r.version,
        proposed_outcome=r.proposed_outcome if police else None,
        proposed_by=r.proposed_by if police else None,
        claimed_by=r.claimed_by if police else None, approved_by=r.approved_by,
        police_note=_open(protection, r, "police_note") if police else None)


async def history_out(db: AsyncSession, request_id: str) -> list[EventOut]:
    """The request's history, oldest first: each transition, the unit it was with, why."""
    return [EventOut(at=e.at, action=e.action, from_state=e.from_state, to_state=e.to_state,
                     police_unit=e.police_unit_code, actor_id=e.actor_id, reason=e.reason)
            for e in await service.events(db, request_id)]


_IF_MATCH = re.compile(r'"([1-9][0-9]{0,9})"')


def expected_version(request: Request[object, object, object],
                     body_version: int | None) -> int | None:
    """The expected version: `If-Match` header or the body's `version` (they must agree)."""
    header = request.headers.get("if-match")
    if header is None:
        return body_version
    found = _IF_MATCH.fullmatch(header.strip())
    if found is None:  # strong and quoted only: W/"1", 2 and "3 are refused
        raise InvalidInput('must be a quoted version number, e.g. "3"', field="If-Match",
                           code="INVALID_IF_MATCH")
    text = found.group(1)
    if body_version is not None and body_version != int(text):
        raise InvalidInput("disagrees with If-Match", field="version", code="VERSION_MISMATCH")
    return int(text)


class VettingRequestController(Controller):
    path = "/api/v1/vetting-requests"
    tags = ["vetting requests"]  # noqa: RUF012

    @post("/", opt={"action": "requests.submit"}, responses=ERRORS,
          response_headers=[CREATED_AT])
    async def submit(self, data: JSONBody[SubmitIn], db: Transaction, ctx: ActingContext,
                     services: Services
                     ) -> Response[RequestOut]:
        r = await service.submit(db, ctx, services.settings.policy, worker_id=data.worker_id,
                                 reason=data.reason)
        return created(request_out(r, ctx, services.keys.data), f"{self.path}/{r.id}")

    @post("/batch", opt={"action": "requests.submit"}, responses=ERRORS)
    async def submit_batch(self, data: JSONBody[BatchSubmitIn], db: Transaction, ctx: ActingContext,
                           services: Services) -> BatchOut:
        """Up to 500 workers, all or none, each routed as one nomination is; each police unit
        is notified once. A refusal names every failing position (`worker_ids[3]`)."""
        batch, requests = await service.submit_batch(
            db, ctx, services.settings.policy, worker_ids=data.worker_ids, reason=data.reason)
        return BatchOut(batch_id=batch, items=[request_out(r, ctx, services.keys.data)
                                               for r in requests], total=len(requests))

    @get("/", opt={"action": "requests.read", "read_only": True},
         responses=documented(400, 401, 403))
    async def list(self, db: Transaction, ctx: ActingContext, services: Services,
                   state_filter: Annotated[State | None, QueryParameter(name="state")] = None,
                   overdue: FromQuery[bool | None] = None,
                   worker_id: FromQuery[str | None] = None, limit: Limit = 50,
                   offset: Offset = 0) -> Page[RequestOut]:
        rows, total = await service.list_requests(db, ctx, state=state_filter, overdue=overdue,
                                                  worker_id=worker_id, limit=limit,
                                                  offset=offset)
        items = []
        for line in rows:
            out = request_out(line.request, ctx, services.keys.data)
            out.worker_full_name = line.worker_full_name
            out.worker_employee_no = line.worker_employee_no
            items.append(out)
        return Page(items=items, total=total)

    @get("/{request_id:str}", opt={"action": "requests.read", "read_only": True},
         responses=documented(401, 403, 404))
    async def read(self, request_id: FromPath[str], db: Transaction, ctx: ActingContext,
                   services: Services
                   ) -> RequestOut:
        r = await service.get_request(db, ctx, request_id)
        out = request_out(r, ctx, services.keys.data)
        out.history = await history_out(db, r.id)
        return out


#: How each transition of the state machine reads its body and calls its service; the routes
#: below are made from this table and `policies.vetting_states.TRANSITIONS` (path, access
#: action), so a transition is added in one place.
Call = Callable[[AsyncSession, Context, AppServices, str, Any, "int | None"],
                Awaitable[VettingRequest]]


@dataclass(frozen=True, slots=True)
class Move:
    body: type[Strict]
    required: bool  # whether the body must be sent (else it only carries a version)
    call: Call


MOVES: dict[str, Move] = {
    "claim": Move(VersionIn, False, lambda db, ctx, reg, rid, data, version: service.claim(
        db, ctx, rid, expected_version=version)),
    "return": Move(NoteIn, True, lambda db, ctx, reg, rid, data, version:
                   service.return_for_info(db, ctx, reg.keys.data, rid, note=data.note,
                                           expected_version=version)),
    "resubmit": Move(ResubmitIn, True, lambda db, ctx, reg, rid, data, version: service.resubmit(
        db, ctx, reg.keys.data, rid, service.Resubmission(
            reason=data.reason, stages=tuple(data.stages) if data.stages else None,
            current_address=data.current_address, permanent_address=data.permanent_address),
        expected_version=version)),
    "transfer": Move(TransferIn, True, lambda db, ctx, reg, rid, data, version: service.transfer(
        db, ctx, rid, police_unit=data.police_unit, reason=data.reason,
        expected_version=version)),
    "propose": Move(ProposeIn, True, lambda db, ctx, reg, rid, data, version: service.propose(
        db, ctx, reg.keys.data, rid, outcome=data.outcome, note=data.note,
        expected_version=version)),
    "approve": Move(VersionIn, False, lambda db, ctx, reg, rid, data, version: service.approve(
        db, ctx, reg.settings.policy, reg.keys, reg.settings.public_url, rid,
        expected_version=version)),
    "withdraw": Move(VersionIn, False, lambda db, ctx, reg, rid, data, version:
                     service.withdraw(db, ctx, rid, expected_version=version)),
}


def transition_route(action: str, move: Move) -> HTTPRouteHandler:
    """`POST /{request_id}/<action>`, guarded by the transition's access action."""

    async def handler(self: Controller, request: Request[Any, Any, Any], request_id: str,
                      db: AsyncSession, ctx: Context, services: AppServices,
                      data: Any = None) -> RequestOut:
        version = expected_version(request, None if data is None else data.version)
        r = await move.call(db, ctx, services, request_id, data, version)
        return request_out(r, ctx, services.keys.data)

    handler.__annotations__ = {
        "request": Request[Any, Any, Any], "request_id": FromPath[str], "db": Transaction,
        "ctx": ActingContext, "services": Services, "return": RequestOut,
        "data": JSONBody[move.body] if move.required else JSONBody[move.body | None]}
    if move.required:
        handler.__defaults__ = None
    handler.__name__ = handler.__qualname__ = action.replace("return", "return_")
    return post(f"/{{request_id:str}}/{action}", opt={"action": TRANSITIONS[action].access},
                status_code=200, responses=ERRORS)(handler)


if set(MOVES) != set(TRANSITIONS):  # pragma: no cover - a transition without a route
    raise RuntimeError(f"transitions without routes: {set(TRANSITIONS) ^ set(MOVES)}")
for _action, _move in MOVES.items():
    setattr(VettingRequestController, f"transition_{_action}", transition_route(_action, _move))
