"""Appending to the audit log inside the caller's transaction.

An entry is written in the same transaction as the action it records, so both
commit or neither does. Appends are serialised (SQLite: `BEGIN IMMEDIATE`;
PostgreSQL: a row lock on `audit_head`), so sequence numbers have no gaps, and
each costs O(log n): only the tree's right edge is read and extended.

`append` only collects the entry; the transaction's entries are numbered and
written together as it commits (`write_pending`), after every other write. So
the head lock, which every audited transaction of every process wants, is held
for four statements and the commit, not for the whole action.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Pool, Select, and_, bindparam, event, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from crypto import merkle
from vetting.models import AuditEntry, AuditHead, AuditNode
from vetting.principal import Context

OUTCOMES = ("success", "failure", "denied")
ACTOR_ADDRESS = "actor_address"
_PENDING = "kt1.audit.pending"
_ENTRY, _NODE, _HEAD = AuditEntry.__table__, AuditNode.__table__, AuditHead.__table__
_COLUMNS = tuple(column.key for column in _ENTRY.columns)
_INSERT_ENTRY, _INSERT_NODE = insert(_ENTRY), insert(_NODE)
#: One statement both locks the head (until the commit) and reserves the entries' numbers.
_GROW_HEAD = (update(_HEAD).where(_HEAD.c.id == 1)
              .values(size=_HEAD.c.size + bindparam("count")).returning(_HEAD.c.size))
_EDGE = "kt1.audit.edge"
#: The right edge of the tree as each engine's (pool's) last committed append left it, with
#: its size. The log only grows, so the edge of a size never changes: a stale entry is merely
#: of another size, and not used.
_EDGES: WeakKeyDictionary[Pool, tuple[int, list[bytes]]] = WeakKeyDictionary()


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


def _nodes_at(coords: list[merkle.Coord]) -> Select[tuple[int, int, bytes]]:
    condition = or_(*(and_(_NODE.c.level == lvl, _NODE.c.idx == i) for lvl, i in coords))
    return select(_NODE.c.level, _NODE.c.idx, _NODE.c.hash).where(condition)


async def fetch_nodes(session: AsyncSession, coords: Iterable[merkle.Coord]) -> dict[
        merkle.Coord, bytes]:
    """Fetch the stored perfect-subtree hashes at these coordinates, 200 to a query."""
    wanted = list(set(coords))
    found: dict[merkle.Coord, bytes] = {}
    for start in range(0, len(wanted), 200):
        for level, idx, digest in await session.execute(_nodes_at(wanted[start:start + 200])):
            found[(level, idx)] = digest
    return found


def _grow_head(connection: Connection, count: int) -> int:
    """Reserve `count` sequence numbers: the log's size before them. The head row stays
    locked for the rest of the transaction, so the next appender waits and then reads the
    size this one leaves (SQLite: the transaction already holds the write lock)."""
    size = connection.execute(_GROW_HEAD, {"count": count}).scalar()
    if size is None:  # pragma: no cover - created by the migration
        raise RuntimeError("audit_head row missing: run `kt1vet db upgrade`")
    return int(size) - count


def write_pending(session: Session) -> None:
    """Give the transaction's pending entries their sequence numbers and write them, with the
    tree nodes they complete: the head is grown (which locks it), the right edge read (only
    when another process has appended since this one last did), then two inserts.

    Runs at the commit (`before_commit`), after everything else the transaction writes, so
    the head row, the one lock every audited transaction wants, is held only for these
    statements and the commit itself.
    """
    pending: list[AuditEntry] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()  # the action's own rows first: the entries record what was written
    connection = session.connection()
    size = _grow_head(connection, len(pending))
    frontier = _edge(connection, size)
    new_nodes: list[dict[str, Any]] = []
    for seq, entry in enumerate(pending, start=size):
        entry.seq = seq
        entry.leaf_hash = merkle.leaf_hash(entry_bytes(entry))
        new_nodes.extend({"level": level, "idx": idx, "hash": digest}
                         for (level, idx), digest in frontier.append(entry.leaf_hash))
    connection.execute(_INSERT_ENTRY, [{column: getattr(entry, column) for column in _COLUMNS}
                                       for entry in pending])
    connection.execute(_INSERT_NODE, new_nodes)
    session.info[_EDGE] = (connection.engine.pool, frontier.size, frontier.hashes)


def _edge(connection: Connection, size: int) -> merkle.Frontier:
    """The tree's right edge at `size`: this process's last commit left it in memory, unless
    another process has appended since (the size then differs), when it is read."""
    known = _EDGES.get(connection.engine.pool)
    if known is not None and known[0] == size:
        return merkle.Frontier(size, known[1])
    coords = merkle.root_coords(size)
    nodes = {(level, idx): digest for level, idx, digest in connection.execute(
        _nodes_at(coords))} if coords else {}
    return merkle.Frontier(size, [nodes[c] for c in coords])


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
    """Record one action in the caller's transaction. `body` must hold identifiers only,
    never personal data; the actor's network address, when the context has one, is added as
    `actor_address`.

    The entry is written when the transaction commits (`write_pending`), so its `seq` and
    `leaf_hash` are set once the commit has begun; a rollback discards it with the rest.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome must be one of {OUTCOMES}")
    await session.connection()  # the transaction has begun, so the commit will write it
    recorded = dict(body or {})
    if ctx.actor.address is not None:
        recorded[ACTOR_ADDRESS] = ctx.actor.address
    entry = AuditEntry(
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
    session.info.setdefault(_PENDING, []).append(entry)
    return entry


event.listen(Session, "before_commit", write_pending)


@event.listens_for(Session, "after_commit")
def _keep_edge(session: Session) -> None:
    if (edge := session.info.pop(_EDGE, None)) is not None:
        pool, size, hashes = edge
        _EDGES[pool] = (size, hashes)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_EDGE, None)
