"""Recomputes the whole audit log from its rows: the check `kt1vet audit verify` runs.

It trusts nothing stored but the rows' content: every leaf is rehashed, the
stored tree nodes and signed checkpoints are compared against the recomputed
tree, and a checkpoint saved by an inspector proves that today's log still
extends the log they saw (a wholesale rewrite of the tables fails here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import checkpoints, merkle
from vetting.audit.entries import entry_bytes
from vetting.audit.proofs import log_size
from vetting.models import AuditCheckpoint, AuditEntry, AuditNode


@dataclass(slots=True)
class VerifyReport:
    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    first_bad_seq: int | None = None
    problems: list[str] = field(default_factory=list)
    #: What was proved about the checkpoint an inspector saved, when one was given.
    saved_checkpoint: str | None = None

    @property
    def intact(self) -> bool:
        return not self.problems

    def fail(self, problem: str, seq: int | None = None) -> None:
        self.problems.append(problem)
        if seq is not None and (self.first_bad_seq is None or seq < self.first_bad_seq):
            self.first_bad_seq = seq


async def _leaves(session: AsyncSession, report: VerifyReport) -> list[bytes]:
    leaves: list[bytes] = []
    rows = await session.stream_scalars(
        select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=2000))
    async for entry in rows:
        expected = len(leaves)
        if entry.seq != expected:
            report.fail(f"entry {expected} is missing or out of order", expected)
            break
        leaf = merkle.leaf_hash(entry_bytes(entry))
        if leaf != entry.leaf_hash:
            report.fail(f"entry {entry.seq} was altered", entry.seq)
            break
        leaves.append(leaf)
    return leaves


async def _check_nodes(session: AsyncSession, leaves: list[bytes], report: VerifyReport) -> None:
    expected = merkle.all_coords_for_leaves(leaves)
    seen = 0
    rows = await session.stream_scalars(select(AuditNode).execution_options(yield_per=5000))
    async for node in rows:
        seen += 1
        want = expected.get((node.level, node.idx))
        if want != node.hash:
            first_leaf = node.idx << node.level
            report.fail(f"tree node ({node.level}, {node.idx}) disagrees with entries", first_leaf)
    if seen != len(expected):
        report.fail(f"{len(expected) - seen} tree nodes are missing", None)


def _check_checkpoint(
    name: str, head: checkpoints.Checkpoint, signature: str, jwk: Mapping[str, str],
    leaves: list[bytes], report: VerifyReport,
) -> str | None:
    """The problem found with one checkpoint, also recorded in `report`; None if it holds."""
    problem: str | None = None
    seq: int | None = None
    if not checkpoints.verify_checkpoint(head, signature, jwk):
        problem = f"{name} at size {head.size}: bad signature"
    elif head.size > len(leaves):
        problem = f"{name} at size {head.size}: the log has only {len(leaves)} entries"
        seq = len(leaves)
    elif merkle.root_from_leaves(leaves[: head.size]) != head.root:
        problem = f"{name} at size {head.size}: the log is not an extension of it"
    if problem is not None:
        report.fail(problem, seq)
    return problem


async def verify_log(
    session: AsyncSession,
    *,
    audit_jwk: Mapping[str, str],
    saved: checkpoints.Checkpoint | None = None,
    saved_signature: str = "",
) -> VerifyReport:
    report = VerifyReport()
    leaves = await _leaves(session, report)
    head_size = await log_size(session)
    if report.intact and head_size != len(leaves):
        report.fail(f"the log head says {head_size} entries but {len(leaves)} remain",
                    min(head_size, len(leaves)))
    report.size = len(leaves)
    report.root = merkle.root_from_leaves(leaves)
    if report.intact:
        await _check_nodes(session, leaves, report)
    for stored in (await session.scalars(select(AuditCheckpoint))).all():
        head = checkpoints.Checkpoint(stored.origin, stored.size, stored.root, stored.timestamp)
        _check_checkpoint("stored checkpoint", head, stored.signature, audit_jwk, leaves, report)
    if saved is not None:
        problem = _check_checkpoint("saved checkpoint", saved, saved_signature, audit_jwk,
                                    leaves, report)
        report.saved_checkpoint = problem or (
            f"checkpoint of size {saved.size} is consistent with the log of size "
            f"{len(leaves)}: signature verified, its root recomputed from the first "
            f"{saved.size} entries")
    return report
