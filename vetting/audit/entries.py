"""Appending to the audit log inside the caller's transaction.

The append runs in the same transaction as the action it records, so both
commit or neither does. Appends are serialised (SQLite: `BEGIN IMMEDIATE`;
PostgreSQL: a row lock on `audit_head`), so sequence numbers have no gaps, and
each costs O(log n): only the tree's right edge is read and extended.

The first append of a transaction locks the head and reads the right edge; the
lock holds until the transaction ends, so later appends of the same transaction
reuse that edge from memory instead of reading it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import merkle
from vetting.models import AuditEntry, AuditHead, AuditNode
from vetting.principal import Context

OUTCOMES = ("success", "failure", "denied")
ACTOR_ADDRESS = "actor_address"
_TAIL = "kt1.audit.tail"


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_bytes(entry: AuditEntry) -> bytes:
    """The exact bytes hashed into the leaf: every column but the hash itself."""
    return canonical_json(
        {
            "seq": entry.seq,
            "time": format_time(entry.created_at),
            "actor_id": entry.actor_id,
            "actor_role": entry.actor_role,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "outcome": entry.outcome,
            "request_id": entry.request_id,
            "body": entry.body,
        }
    ).encode()


async def fetch_nodes(session: AsyncSession, coords: Iterable[merkle.Coord]) -> dict[
        merkle.Coord, bytes]:
    """Fetch the stored perfect-subtree hashes at these coordinates in one query."""
    wanted = list(set(coords))
    found: dict[merkle.Coord, bytes] = {}
    for start in range(0, len(wanted), 200):
        chunk = wanted[start:start + 200]
        condition = or_(*(and_(AuditNode.level == lvl, AuditNode.idx == i) for lvl, i in chunk))
        for node in (await session.scalars(select(AuditNode).where(condition))).all():
            found[(node.level, node.idx)] = node.hash
    return found


async def lock_head(session: AsyncSession) -> AuditHead:
    """The head row, locked for the rest of the transaction on PostgreSQL."""
    head = await session.scalar(
        select(AuditHead).where(AuditHead.id == 1).with_for_update().execution_options(
            populate_existing=True)
    )
    if head is None:  # pragma: no cover - created by the migration
        raise RuntimeError("audit_head row missing: run `kt1vet db upgrade`")
    return head


@dataclass(slots=True)
class _Tail:
    """The locked head and the right edge of the tree, valid for one transaction."""

    transaction: object
    head: AuditHead
    frontier: merkle.Frontier


async def _tail(session: AsyncSession) -> _Tail:
    """This transaction's tail: read (and locked) at its first append, then kept in memory.

    Keyed by the transaction object, so a commit or rollback starts over from the database.
    """
    transaction = session.sync_session.get_transaction()
    cached = session.info.get(_TAIL)
    if cached is not None and cached.transaction is transaction and cached.head in session:
        return cached
    head = await lock_head(session)
    coords = merkle.root_coords(head.size)
    nodes = await fetch_nodes(session, coords)
    tail = _Tail(transaction, head, merkle.Frontier(head.size, [nodes[c] for c in coords]))
    session.info[_TAIL] = tail
    return tail


async def append(
    session: AsyncSession,
    ctx: Context,
    *,
    action: str,
    object_type: str | None = None,
    object_id: str | None = None,
    outcome: str = "success",
    body: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Record one action. `body` must hold identifiers only, never personal data; the
    actor's network address, when the context has one, is added as `actor_address`."""
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome must be one of {OUTCOMES}")
    recorded = dict(body or {})
    if ctx.actor.address is not None:
        recorded[ACTOR_ADDRESS] = ctx.actor.address
    tail = await _tail(session)
    size = tail.head.size
    entry = AuditEntry(
        seq=size,
        created_at=ctx.now,
        actor_id=ctx.actor.id,
        actor_role=ctx.actor.role,
        action=action,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        request_id=ctx.request_id,
        body=canonical_json(recorded),
    )
    entry.leaf_hash = merkle.leaf_hash(entry_bytes(entry))
    session.add(entry)
    for (level, idx), digest in tail.frontier.append(entry.leaf_hash):
        session.add(AuditNode(level=level, idx=idx, hash=digest))
    tail.head.size = size + 1
    return entry
