"""Workers named by employee number, as dispatchers and HR know them: the pasted list of a
batch check or the worker field of an assignment form, resolved inside the caller's scope."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vetting.models import Worker
from vetting.principal import Context
from vetting.repositories import WORKERS


async def ids_by_employee_no(session: AsyncSession, ctx: Context, numbers: Sequence[str], *,
                             action: str) -> dict[str, str]:
    """employee number → worker id for the numbers the caller may see under `action`; a
    number outside the scope is simply absent (as if unknown: its existence does not leak)."""
    wanted = sorted({n for n in numbers if n})
    if not wanted:
        return {}
    rows = await session.execute(select(Worker.employee_no, Worker.id).where(
        Worker.employee_no.in_(wanted), WORKERS.condition(ctx.actor, action)))
    return {number: worker_id for number, worker_id in rows.all()}
