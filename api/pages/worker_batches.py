"""Nominating many workers at once from the worker list: the rows ticked on a page of the
list are shown on a check page with the reason asked once, then sent as one batch through
`requests.submit_batch` (the service behind `POST /api/v1/vetting-requests/batch`): all or
none, each routed by policy, each police unit notified once.

The selection travels in the query (`GET /workers/nominate?worker_ids=...`), so choosing
writes nothing and the back button works; a page of the list holds at most 50 rows, far
below both the batch limit and any URL limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from api.controllers.vetting_requests import MAX_BATCH, BatchSubmitIn
from api.i18n import language_of, message
from api.pages.forms import REFUSALS, Form, FormErrors, refusal
from api.pages.rendering import page, see_other
from api.problems import domain_text
from api.state import ActingContext, Services, Transaction
from vetting.errors import BatchRefused
from vetting.requests import service as requests
from vetting.workers.service import get_worker

ACTION = "requests.submit"


@dataclass(frozen=True, slots=True)
class Chosen:
    """A ticked worker as the check page names it."""

    id: str
    full_name: str
    employee_no: str
    national_id_mask: str


async def _chosen(db: Transaction, ctx: ActingContext, worker_ids: list[str]) -> list[Chosen]:
    """The ticked workers, each read as one nomination reads it: another unit's is the
    404 page, as it would be on its own."""
    unique = list(dict.fromkeys(i for i in worker_ids if i.strip()))
    found = [await get_worker(db, ctx, wid, action=ACTION) for wid in unique]
    return [Chosen(w.id, w.full_name, w.employee_no, w.national_id_mask) for w in found]


def _refused(language: str, workers: list[Chosen], exc: BatchRefused) -> FormErrors:
    """Each refused worker by name, in the API's words for its reason."""
    named = {w.id: f"{w.full_name} ({w.employee_no})" for w in workers}
    return FormErrors(general=(
        message(language, exc.code, dict(exc.extra), fallback=exc.detail),
        *(f"{named.get(f.item, f.item)}: {domain_text(language, f.error)}"
          for f in exc.failures)))


class WorkerBatchPages(Controller):
    include_in_schema = False

    @get("/workers/nominate", opt={"action": ACTION, "read_only": True})
    async def check(self, request: Request[Any, Any, Any], db: Transaction,
                    ctx: ActingContext) -> Template:
        """The workers ticked, and the reason to give for all of them."""
        ids = request.query_params.getall("worker_ids", [])
        language = language_of(request.scope)
        selection = message(language, "BATCH_SELECTION", {"limit": MAX_BATCH})
        if len(ids) > MAX_BATCH:
            return page("workers/nominate_many.html", status=422, workers=[],
                        errors=FormErrors(general=(selection,)))
        chosen = await _chosen(db, ctx, ids)
        return page("workers/nominate_many.html", workers=chosen,
                    selection=None if chosen else selection)

    @post("/workers/nominate", opt={"action": ACTION})
    async def nominate(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                       services: Services) -> Template | Redirect:
        form = await Form.read(request)
        chosen = await _chosen(db, ctx, form.all("worker_ids")[:MAX_BATCH])
        try:
            data = form.parse(BatchSubmitIn)
            await requests.submit_batch(
                db, ctx, services.settings.policy, worker_ids=data.worker_ids,
                reason=data.reason)
        except BatchRefused as exc:
            await db.rollback()
            return page("workers/nominate_many.html", status=409, workers=chosen, form=form,
                        errors=_refused(language_of(request.scope), chosen, exc))
        except REFUSALS as exc:
            return page("workers/nominate_many.html", status=422, workers=chosen, form=form,
                        errors=await refusal(db, request, exc))
        return see_other("/requests?notice=batch_submitted")
