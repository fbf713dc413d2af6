"""The inspector's audit pages: the signed checkpoint now (and its download), a checkpoint
saved earlier checked for consistency with today's log, and the entries the inspector's
province may read. Checkpoints and proofs are national (hashes only); entries are scoped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template

from api.controllers.audit import checkpoint_out
from api.pages.forms import REFUSALS, Form, refusal
from api.pages.rendering import page
from api.state import ActingContext, Services, Transaction
from vetting.audit import listing, proofs
from vetting.audit.saved import check_saved, read_saved
from vetting.errors import InvalidInput

PAGE_SIZE = 50
#: A saved checkpoint is a few hundred bytes of JSON.
MAX_CHECKPOINT_BYTES = 16_384
Filter = Annotated[str | None, QueryParameter(max_length=64)]


class AuditCheckpointLike(Protocol):
    size: int
    root: bytes
    timestamp: str
    key_id: str


def _audit_page(checkpoint: AuditCheckpointLike, *, status: int = 200, **context: Any
                ) -> Template:
    """The audit page; the checkpoint's signing time shown in Vietnam time."""
    signed_at = datetime.strptime(checkpoint.timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=UTC)
    return page("audit/audit.html", checkpoint=checkpoint, signed_at=signed_at,
                status=status, **{"checked": None, **context})


class AuditPages(Controller):
    include_in_schema = False

    @get("/audit", opt={"action": "audit.read"})
    async def audit(self, db: Transaction, ctx: ActingContext, services: Services) -> Template:
        return _audit_page(await proofs.checkpoint(db, ctx, services.keys))

    @get("/audit/checkpoint.json", opt={"action": "audit.read"})
    async def download(self, db: Transaction, ctx: ActingContext,
                       services: Services) -> Response[bytes]:
        """The same JSON as `GET /api/v1/audit/checkpoint`, to keep and check later."""
        current = checkpoint_out(await proofs.checkpoint(db, ctx, services.keys))
        name = f"kt1-audit-checkpoint-{current.size}.json"
        return Response(msgspec.json.encode(current), media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @post("/audit/checkpoint/check", opt={"action": "audit.read"})
    async def check(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                    services: Services) -> Template:
        form = await Form.read(request)
        upload = form.files.get("checkpoint")
        try:
            content = await upload.read(MAX_CHECKPOINT_BYTES + 1) if upload else b""
            if not content or len(content) > MAX_CHECKPOINT_BYTES:
                raise InvalidInput("choose the saved checkpoint file", field="checkpoint",
                                   code="CHECKPOINT_UNREADABLE")
            saved, signature = read_saved(content)
            checked = await check_saved(db, services.keys, saved, signature)
        except REFUSALS as exc:
            errors = await refusal(db, request, exc)
            return _audit_page(await proofs.checkpoint(db, ctx, services.keys), status=422,
                               errors=errors)
        return _audit_page(await proofs.checkpoint(db, ctx, services.keys), checked=checked)

    @get("/audit/entries", opt={"action": "audit.entries", "read_only": True})
    async def entries(self, db: Transaction, ctx: ActingContext, action: Filter = None,
                      object_type: Filter = None, object_id: Filter = None,
                      offset: FromQuery[int] = 0) -> Template:
        offset = max(offset, 0)
        chosen = listing.EntryFilter(action=action or None, object_type=object_type or None,
                                     object_id=object_id or None)
        rows, total = await listing.list_entries(db, ctx.actor, chosen, limit=PAGE_SIZE,
                                                 offset=offset)
        return page("audit/entries.html", entries=rows, total=total, limit=PAGE_SIZE,
                    offset=offset, chosen=chosen)
