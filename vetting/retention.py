"""Retention: records are kept at least `retention_years` (Circular 16/2017 art. 13: three
years for electronic records) and nothing is hard-deleted through the registry at all; a
deletion request is refused with the date until which the record must be kept."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from policies.calendar import local_date
from policies.policy import Policy
from policies.validity import add_months
from vetting.audit.entries import append
from vetting.errors import Conflict
from vetting.models import AuditEntry
from vetting.principal import Context
from vetting.repositories import WORKERS

#: Entries that record someone looking, not the record changing: they do not restart retention.
PASSIVE_ACTIONS = ("worker.delete_refused", "worker.dossier_read")


async def refuse_worker_deletion(session: AsyncSession, ctx: Context, policy: Policy,
                                 worker_id: str) -> None:
    """Audit the request and refuse it; a worker outside the caller's scope is not found."""
    worker = await WORKERS.get(session, ctx.actor, "records.delete", worker_id)
    last = await session.scalar(select(func.max(AuditEntry.created_at)).where(
        AuditEntry.object_id == worker.id,
        AuditEntry.action.not_in(PASSIVE_ACTIONS))) or worker.updated_at
    anchor = max(worker.left_on or ctx.today, local_date(last))
    keep_until: date = add_months(anchor, 12 * policy.retention_years)
    await append(session, ctx, action="worker.delete_refused", object_type="worker",
                 object_id=worker.id, outcome="denied", body={"keep_until": keep_until.isoformat()})
    if ctx.today <= keep_until:
        raise Conflict(f"records are kept until {keep_until.isoformat()} "
                       f"({policy.retention_years}-year retention)", code="RETENTION_PERIOD",
                       audited=True, keep_until=keep_until.isoformat())
    raise Conflict("records past their retention period are archived, never deleted here",
                   code="ARCHIVE_ONLY", audited=True)
