"""Checkpoints and proofs served from the stored perfect-subtree hashes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import checkpoints, merkle
from vetting.audit.entries import fetch_nodes
from vetting.db import insert_for
from vetting.errors import InvalidInput
from vetting.keys import RegistryKeys
from vetting.models import AuditCheckpoint, AuditHead
from vetting.principal import Context

ORIGIN = "kt1-vetting-registry/audit/v1"


@dataclass(frozen=True, slots=True)
class InclusionProof:
    index: int
    size: int
    leaf_hash: bytes
    proof: list[bytes]
    root: bytes


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    first: int
    second: int
    first_root: bytes
    second_root: bytes
    proof: list[bytes]


async def log_size(session: AsyncSession) -> int:
    return int(await session.scalar(select(AuditHead.size).where(AuditHead.id == 1)) or 0)


async def root_at(session: AsyncSession, size: int) -> bytes:
    if size == 0:
        return merkle.EMPTY_ROOT
    return merkle.root_from_nodes(size, await fetch_nodes(session, merkle.root_coords(size)))


async def _checked_size(session: AsyncSession, size: int | None, field: str) -> int:
    current = await log_size(session)
    if size is None:
        return current
    if size < 0 or size > current:
        raise InvalidInput(f"must be between 0 and the log size {current}", field=field,
                           code="OUT_OF_RANGE")
    return size


async def inclusion(session: AsyncSession, *, index: int, size: int | None) -> InclusionProof:
    tree_size = await _checked_size(session, size, "size")
    if not 0 <= index < tree_size:
        raise InvalidInput(f"must be at least 0 and below the tree size {tree_size}",
                           field="index", code="OUT_OF_RANGE")
    coords = merkle.inclusion_coords(index, tree_size) | set(merkle.root_coords(tree_size))
    coords.add((0, index))
    nodes = await fetch_nodes(session, coords)
    return InclusionProof(
        index=index,
        size=tree_size,
        leaf_hash=nodes[(0, index)],
        proof=merkle.inclusion_proof(index, tree_size, nodes),
        root=merkle.root_from_nodes(tree_size, nodes),
    )


async def consistency(session: AsyncSession, *, first: int, second: int | None) -> ConsistencyProof:
    second_size = await _checked_size(session, second, "second")
    if not 0 <= first <= second_size:
        raise InvalidInput(f"must be between 0 and second ({second_size})", field="first",
                           code="OUT_OF_RANGE")
    coords = merkle.consistency_coords(first, second_size)
    coords |= set(merkle.root_coords(first)) | set(merkle.root_coords(second_size))
    nodes = await fetch_nodes(session, coords)
    return ConsistencyProof(
        first=first,
        second=second_size,
        first_root=merkle.root_from_nodes(first, nodes),
        second_root=merkle.root_from_nodes(second_size, nodes),
        proof=merkle.consistency_proof(first, second_size, nodes) if first else [],
    )


def _timestamp(ctx: Context) -> str:
    return ctx.now.strftime("%Y-%m-%dT%H:%M:%SZ")


async def checkpoint(session: AsyncSession, ctx: Context, keys: RegistryKeys) -> AuditCheckpoint:
    """The signed head at the current size: issued once per size, then reused."""
    size = await log_size(session)
    existing = await session.get(AuditCheckpoint, size)
    if existing is not None:
        return existing
    head = checkpoints.Checkpoint(origin=ORIGIN, size=size, root=await root_at(session, size),
                                  timestamp=_timestamp(ctx))
    values = {
        "size": size,
        "origin": head.origin,
        "root": head.root,
        "timestamp": head.timestamp,
        "key_id": keys.audit_kid,
        "signature": checkpoints.sign_checkpoint(head, keys.audit_key),
    }
    await session.execute(insert_for(session, AuditCheckpoint).values(**values)
                          .on_conflict_do_nothing())
    stored = await session.get(AuditCheckpoint, size, populate_existing=True)
    assert stored is not None
    return stored
