"""Filtered, paged reads of the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vetting.models import AuditEntry
from vetting.principal import Actor
from vetting.repositories import AUDIT_ENTRIES


@dataclass(frozen=True, slots=True)
class EntryFilter:
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(f: EntryFilter) -> Select[tuple[AuditEntry]]:
    query = select(AuditEntry)
    for column, value in ((AuditEntry.actor_id, f.actor), (AuditEntry.action, f.action),
                          (AuditEntry.object_type, f.object_type),
                          (AuditEntry.object_id, f.object_id)):
        if value is not None:
            query = query.where(column == value)
    if f.since is not None:
        query = query.where(AuditEntry.created_at >= f.since)
    if f.until is not None:
        query = query.where(AuditEntry.created_at < f.until)
    return query


async def list_entries(session: AsyncSession, actor: Actor, f: EntryFilter, *, limit: int,
                       offset: int) -> tuple[list[AuditEntry], int]:
    """The entries `actor` may read (scoped in the query: `vetting.repositories.audit_entries`)."""
    query = _filtered(f).where(AUDIT_ENTRIES.condition(actor, "audit.entries"))
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset))
    return list(rows.all()), int(total)
