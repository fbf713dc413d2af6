"""The audit log for inspectors: national checkpoints and proofs (hashes only) and a
filterable listing of entries scoped to the inspector's province."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import QueryParameter

from api.problems import documented
from api.schemas import Limit, Offset, Page, query_instant
from api.state import ActingContext, Services, Transaction
from vetting.audit import listing, proofs
from vetting.models import AuditCheckpoint

Index = Annotated[int, QueryParameter(ge=0)]
OptIndex = Annotated[int | None, QueryParameter(ge=0)]


class CheckpointOut(msgspec.Struct, kw_only=True):
    origin: str
    size: int
    root: str
    timestamp: str
    key_id: str
    signature: str
    signed_text: str


class InclusionOut(msgspec.Struct, kw_only=True):
    index: int
    size: int
    leaf_hash: str
    proof: list[str]
    root: str


class ConsistencyOut(msgspec.Struct, kw_only=True):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str]


class EntryOut(msgspec.Struct, kw_only=True):
    seq: int
    time: datetime
    actor_id: str | None
    actor_role: str
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    request_id: str | None
    body: str
    leaf_hash: str


def checkpoint_out(cp: AuditCheckpoint) -> CheckpointOut:
    """The checkpoint as served and saved (the page's download is the same JSON)."""
    text = f"{cp.origin}\n{cp.size}\n{cp.root.hex()}\n{cp.timestamp}\n"
    return CheckpointOut(origin=cp.origin, size=cp.size, root=cp.root.hex(),
                         timestamp=cp.timestamp, key_id=cp.key_id, signature=cp.signature,
                         signed_text=text)


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]  # noqa: RUF012

    @get("/checkpoint", opt={"action": "audit.read"}, responses=documented(401, 403))
    async def checkpoint(self, db: Transaction, ctx: ActingContext,
                         services: Services) -> CheckpointOut:
        return checkpoint_out(await proofs.checkpoint(db, ctx, services.keys))

    @get("/proofs/inclusion", opt={"action": "audit.read", "read_only": True},
         responses=documented(400, 401, 403, 422))
    async def inclusion(self, db: Transaction, index: Index,
                        size: OptIndex = None) -> InclusionOut:
        p = await proofs.inclusion(db, index=index, size=size)
        return InclusionOut(index=p.index, size=p.size, leaf_hash=p.leaf_hash.hex(),
                            proof=[h.hex() for h in p.proof], root=p.root.hex())

    @get("/proofs/consistency", opt={"action": "audit.read", "read_only": True},
         responses=documented(400, 401, 403, 422))
    async def consistency(self, db: Transaction, first: Index,
                          second: OptIndex = None) -> ConsistencyOut:
        p = await proofs.consistency(db, first=first, second=second)
        return ConsistencyOut(first=p.first, second=p.second, first_root=p.first_root.hex(),
                              second_root=p.second_root.hex(), proof=[h.hex() for h in p.proof])

    @get("/entries", opt={"action": "audit.entries", "read_only": True},
         responses=documented(400, 401, 403))
    async def entries(
        self, db: Transaction, ctx: ActingContext, limit: Limit = 50,
        offset: Offset = 0,
        actor: Annotated[str | None, QueryParameter(max_length=64)] = None,
        action: Annotated[str | None, QueryParameter(max_length=64)] = None,
        object_type: Annotated[str | None, QueryParameter(max_length=64)] = None,
        object_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
        since: Annotated[datetime | None, QueryParameter(name="from")] = None,
        until: Annotated[datetime | None, QueryParameter(name="to")] = None,
    ) -> Page[EntryOut]:
        since = query_instant("from", since)
        until = query_instant("to", until)
        rows, total = await listing.list_entries(
            db, ctx.actor, listing.EntryFilter(actor=actor, action=action, object_type=object_type,
                                    object_id=object_id, since=since, until=until),
            limit=limit, offset=offset)
        return Page(items=[EntryOut(seq=e.seq, time=e.created_at, actor_id=e.actor_id,
                                    actor_role=e.actor_role, action=e.action,
                                    object_type=e.object_type, object_id=e.object_id,
                                    outcome=e.outcome, request_id=e.request_id, body=e.body,
                                    leaf_hash=e.leaf_hash.hex()) for e in rows], total=total)
