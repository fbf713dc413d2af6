"""Vetting requests: the police inbox and HR's outbox, one request with its history (and,
for the police, the dossier, read and audited as the API reads it), and every transition of
the workflow as a form.

Each transition posts to the API's own move (`api.controllers.vetting_requests.MOVES`):
the form is read into the move's input struct, its hidden `version` is the `If-Match` the
API would take, so a page left open while someone else acted gets the API's conflict
message and the request as it is now.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from api.controllers.vetting_requests import (
    MOVES,
    Move,
    expected_version,
    history_out,
    request_out,
)
from api.pages.forms import REFUSALS, Form, FormErrors, refusal
from api.pages.rendering import page, see_other
from api.pages.wording import WORDS
from api.schemas import Limit, Offset
from api.state import ActingContext, Services, Transaction
from policies.access import POLICE, POLICE_LEAD, scope_for
from policies.vetting_states import TRANSITIONS, may_take
from policies.vocabulary import DECIDED_STATES, REQUEST_STATES, RequestState
from vetting.attestations import records
from vetting.errors import Conflict, Forbidden
from vetting.principal import Context
from vetting.requests import service
from vetting.units import unit_names, units_of_kind
from vetting.workers.service import read_dossier

#: A filter form's "all states" sends `state=` (blank): no filter, not a wrong value.
StateQuery = Annotated[RequestState | Literal[""] | None, QueryParameter(name="state")]
PAGE_SIZE = 50
#: The transitions that ask for more than a click, and the template of their form (approve:
#: the "check your answers" page of what will be signed).
FORM_PAGES: dict[str, str] = {
    "return": "requests/return.html",
    "transfer": "requests/transfer.html",
    "propose": "requests/propose.html",
    "resubmit": "requests/resubmit.html",
    "approve": "requests/approve.html",
}


def available_moves(ctx: Context, state: str) -> list[str]:
    """The transitions the caller's role may take from `state` (the state machine's table),
    in the table's order: what the request page offers."""
    return [action for action, move in TRANSITIONS.items()
            if may_take(action, ctx.actor.role) and state in move.sources
            and scope_for(ctx.actor.role, move.access) is not None]


def _status(exc: Exception) -> int:
    return 409 if isinstance(exc, Conflict) else 403 if isinstance(exc, Forbidden) else 422


async def _request_page(db: Transaction, ctx: ActingContext, services: Services, request_id: str, *,
                        status: int = 200,
                        errors: FormErrors | None = None) -> Template:
    line = await service.get_listed(db, ctx, request_id)
    out = request_out(line.request, ctx, services.keys.data)
    out.history = await history_out(db, out.id)
    police = ctx.actor.role in POLICE
    # the police working the request see the dossier: read (and audited) as the API reads it
    dossier = (await read_dossier(db, ctx, services.keys.data, out.worker_id)
               if police else None)
    attestation_id = (await records.for_request(db, ctx, out.id)
                      if out.state in DECIDED_STATES else None)
    names = await unit_names(db, [out.post_unit, out.police_unit,
                                  *(e.police_unit for e in out.history)])
    return page("requests/read.html", status=status, errors=errors, r=out, line=line,
                dossier=dossier, attestation_id=attestation_id, units=names,
                moves=available_moves(ctx, out.state), words=WORDS, me=ctx.actor.id)


async def _form_page(db: Transaction, ctx: ActingContext, services: Services, action: str,
                     request_id: str, *,
                     status: int = 200,
                     form: Form | None = None, errors: FormErrors | None = None) -> Template:
    access = TRANSITIONS[action].access
    if action == "approve":
        preview = await service.approval_preview(db, ctx, services.settings.policy, request_id)
        line = preview.line
    else:
        preview, line = None, await service.get_listed(db, ctx, request_id, action=access)
    out = request_out(line.request, ctx, services.keys.data)
    units = ([u for u in await units_of_kind(db, "police") if u.code != out.police_unit]
             if action == "transfer" else [])
    names = await unit_names(db, [out.post_unit, out.police_unit])
    return page(FORM_PAGES[action], status=status, form=form, errors=errors, r=out, line=line,
                preview=preview, police_units=units, units=names, words=WORDS,
                me=ctx.actor.id)


#: The parameters of the generated handlers (as `api.controllers.vetting_requests` does).
_ARGS = {"request": Request[Any, Any, Any], "request_id": FromPath[str], "db": Transaction,
         "ctx": ActingContext,
         "services": Services}


def _form_route(action: str) -> HTTPRouteHandler:
    """`GET /requests/{id}/<action>`: the transition's form, guarded by its access action."""

    async def handler(self: Controller, request: Request[Any, Any, Any], request_id: str,
                      db: Any, ctx: Any, services: Any) -> Template:
        return await _form_page(db, ctx, services, action, request_id)

    handler.__annotations__ = {**_ARGS, "return": Template}
    handler.__name__ = handler.__qualname__ = f"{action}_form"
    return get(f"/requests/{{request_id:str}}/{action}",
               opt={"action": TRANSITIONS[action].access, "read_only": True})(handler)


def _move_route(action: str, move: Move) -> HTTPRouteHandler:
    """`POST /requests/{id}/<action>`: the API's move, then back to the request; refused,
    the form (or the request page) again with the API's words."""

    async def handler(self: Controller, request: Request[Any, Any, Any], request_id: str,
                      db: Any, ctx: Any, services: Any) -> Template | Redirect:
        form = await Form.read(request)
        try:
            data = form.parse(move.body)
            await move.call(db, ctx, services, request_id, data,
                            expected_version(request, data.version))  # type: ignore[attr-defined]
        except (*REFUSALS, Forbidden) as exc:
            errors = await refusal(db, request, exc)
            if action in FORM_PAGES:
                return await _form_page(db, ctx, services, action, request_id,
                                        status=_status(exc), form=form, errors=errors)
            return await _request_page(db, ctx, services, request_id, status=_status(exc),
                                       errors=errors)
        return see_other(f"/requests/{request_id}?notice=request_{action}")

    handler.__annotations__ = {**_ARGS, "return": Template | Redirect}
    handler.__name__ = handler.__qualname__ = f"{action}_move"
    return post(f"/requests/{{request_id:str}}/{action}",
                opt={"action": TRANSITIONS[action].access})(handler)


class RequestPages(Controller):
    include_in_schema = False

    @get("/requests", opt={"action": "requests.read", "read_only": True})
    async def inbox(self, db: Transaction, ctx: ActingContext, services: Services,
                    state_filter: StateQuery = None,
                    overdue: FromQuery[bool | None] = None, limit: Limit = PAGE_SIZE,
                    offset: Offset = 0) -> Template:
        """The caller's requests (the service scopes them: a police unit's inbox, a post
        unit's outbox), overdue first, then by due date. A lead asking for those awaiting
        approval gets the approval queue: their own proposals are not theirs to approve."""
        state = state_filter or None
        queue = ctx.actor.role == POLICE_LEAD and state == "awaiting_approval"
        rows, total = await service.list_requests(
            db, ctx, state=state, overdue=overdue, worker_id=None, limit=limit, offset=offset,
            approvable=queue)
        items = [(line, request_out(line.request, ctx, services.keys.data)) for line in rows]
        return page("requests/list.html", lines=items, total=total, limit=limit, offset=offset,
                    state_filter=state, overdue=overdue, queue=queue, states=REQUEST_STATES,
                    words=WORDS, police=ctx.actor.role in POLICE,
                    lead=ctx.actor.role == POLICE_LEAD)

    @get("/requests/{request_id:str}", opt={"action": "requests.read"})
    async def read(self, request_id: FromPath[str], db: Transaction, ctx: ActingContext,
                   services: Services
                   ) -> Template:
        """Not read-only: the police's dossier read is audited, as in the API."""
        return await _request_page(db, ctx, services, request_id)


for _action in FORM_PAGES:
    setattr(RequestPages, f"{_action}_form", _form_route(_action))
for _action, _move in MOVES.items():
    setattr(RequestPages, f"{_action}_move", _move_route(_action, _move))
