"""A police lead's clearances: the ones their unit issued, and suspending, reinstating or
revoking one, by the API's own service (`lifecycle.change`) and input structs (`ReasonIn`,
`ReinstateIn`).

Suspending and revoking stop the worker's KT1 work at once, so the lead first sees a
"check your answers" page; the reason typed travels in the form (never in the address),
and the clearance's version with it, so a clearance changed meanwhile is refused with the
API's conflict message.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from api.controllers.attestations import ReasonIn, ReinstateIn, reason_words
from api.controllers.vetting_requests import expected_version
from api.i18n import language_of
from api.pages.forms import REFUSALS, Form, FormErrors, refusal
from api.pages.rendering import page, see_other
from api.pages.wording import WORDS
from api.schemas import Limit, Offset
from api.state import ActingContext, Transaction
from vetting.attestations import lifecycle
from vetting.errors import Conflict, NotFound
from vetting.workers.service import get_worker

Change = Literal["suspend", "reinstate", "revoke"]
#: The changes a lead checks before they take effect.
CHECKED: frozenset[str] = frozenset({"suspend", "revoke"})
LISTED_STATES = ("active", "suspended", "expired", "revoked")
StateQuery = Annotated[Literal["active", "suspended", "expired", "revoked", ""] | None,
                       QueryParameter(name="state")]
RULE = {"action": "clearance.manage"}
PAGE_SIZE = 50


def _input(action: str) -> type[ReasonIn] | type[ReinstateIn]:
    return ReinstateIn if action == "reinstate" else ReasonIn


async def _clearance(request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                     worker_id: str) -> dict[str, Any]:
    """The page's view of the unit's clearance of one worker (its scope: the unit's own)."""
    clearance = await lifecycle.unit_clearance(db, ctx, worker_id)
    worker = await get_worker(db, ctx, worker_id, action="clearance.read")
    words = reason_words(language_of(request.scope), clearance.reason)
    return {"c": clearance, "worker": worker, "state_now": lifecycle.effective_state(
        clearance, ctx.now), "reason_text": words["reason"],
        "changes": [a for a in lifecycle.CHANGES if lifecycle.may_change(clearance, a, ctx.now)]}


async def _form_page(request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                     worker_id: str,
                     action: str, *, status: int = 200, form: Form | None = None,
                     errors: FormErrors | None = None) -> Template:
    view = await _clearance(request, db, ctx, worker_id)
    return page("clearances/change.html", status=status, form=form, errors=errors,
                action=action, checked=action in CHECKED, words=WORDS, **view)


class ClearancePages(Controller):
    include_in_schema = False

    @get("/clearances", opt={**RULE, "read_only": True})
    async def clearances(self, db: Transaction, ctx: ActingContext, state_filter: StateQuery = None,
                         limit: Limit = PAGE_SIZE, offset: Offset = 0) -> Template:
        rows, total = await lifecycle.list_unit_clearances(
            db, ctx, state=state_filter or None, limit=limit, offset=offset)
        return page("clearances/list.html", lines=rows, total=total, limit=limit,
                    offset=offset, state_filter=state_filter or None, states=LISTED_STATES,
                    words=WORDS)

    @get("/clearances/{worker_id:str}", opt={**RULE, "read_only": True})
    async def clearance(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                        db: Transaction, ctx: ActingContext) -> Template:
        view = await _clearance(request, db, ctx, worker_id)
        return page("clearances/read.html", words=WORDS, **view)

    @get("/clearances/{worker_id:str}/{action:str}", opt={**RULE, "read_only": True})
    async def change_form(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                          action: FromPath[Change], db: Transaction,
                          ctx: ActingContext) -> Template:
        return await _form_page(request, db, ctx, worker_id, action)

    @post("/clearances/{worker_id:str}/{action:str}/check", opt={**RULE, "read_only": True})
    async def check(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                    action: FromPath[Change], db: Transaction, ctx: ActingContext) -> Template:
        """The reason read (and refused as the API would), then what the change will do;
        "change" goes back to the form with what was typed."""
        if action not in CHECKED:
            raise NotFound("a reinstatement needs no check")
        form = await Form.read(request)
        if form.value("change"):
            return await _form_page(request, db, ctx, worker_id, action, form=form)
        try:
            data = form.parse(ReasonIn)
        except REFUSALS as exc:
            return await _form_page(request, db, ctx, worker_id, action, status=422,
                                    form=form, errors=await refusal(None, request, exc))
        view = await _clearance(request, db, ctx, worker_id)
        return page("clearances/check.html", action=action, reason=data.reason,
                    version=data.version or view["c"].version, words=WORDS, **view)

    @post("/clearances/{worker_id:str}/{action:str}", opt=RULE)
    async def change(self, request: Request[Any, Any, Any], worker_id: FromPath[str],
                     action: FromPath[Change], db: Transaction,
                     ctx: ActingContext) -> Template | Redirect:
        form = await Form.read(request)
        try:
            data = form.parse(_input(action))
            await lifecycle.change(db, ctx, worker_id, action, reason=data.reason,
                                   expected_version=expected_version(request, data.version))
        except REFUSALS as exc:
            errors = await refusal(db, request, exc)
            return await _form_page(request, db, ctx, worker_id, action, form=form,
                                    status=409 if isinstance(exc, Conflict) else 422,
                                    errors=errors)
        return see_other(f"/clearances/{worker_id}?notice=clearance_{action}")
