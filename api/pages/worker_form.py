"""The forms about one worker (training, commitment, nomination, leaving, an incident):
shown empty, or again after a refusal with what was typed and why."""

from __future__ import annotations

from typing import Any

from litestar.response import Template

from api.pages.forms import Form, FormErrors
from api.pages.rendering import page
from api.state import ActingContext, Transaction
from vetting.workers.service import get_worker


async def worker_form(db: Transaction, ctx: ActingContext, worker_id: str, template: str, *,
                      action: str, status: int = 200, form: Form | None = None,
                      errors: FormErrors | None = None, **extra: Any) -> Template:
    """`template` about the worker, who must be in the caller's scope for `action`."""
    worker = await get_worker(db, ctx, worker_id, action=action)
    return page(template, status=status, w=worker, form=form, errors=errors, **extra)
