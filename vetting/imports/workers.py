"""Registering the workers of an HR spreadsheet: each row passes the checks of one
registration (`vetting.workers.service`), duplicates are looked for inside the file and in the
registry (through the national ID's blind index), and every row is written in one transaction
or none is."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vetting.errors import Conflict
from vetting.imports.rows import Outcome, RowProblem, audit_import, breathe, chunks, first_rows
from vetting.models import Worker
from vetting.personal_data import DataProtection
from vetting.principal import Context
from vetting.workers.service import (
    WorkerInput,
    audit_creation,
    new_worker,
    registration_problems,
    registration_rules,
)


async def _registered(session: AsyncSession, indexes: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunks(indexes):
        found.update((await session.scalars(select(Worker.national_id_bidx).where(
            Worker.national_id_bidx.in_(chunk)))).all())
    return found


async def _numbers_used(session: AsyncSession, wanted: list[tuple[str, str]]
                        ) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for unit in {u for u, _ in wanted}:
        numbers = [n for u, n in wanted if u == unit]
        for chunk in chunks(numbers):
            found.update((unit, n) for n in (await session.scalars(select(
                Worker.employee_no).where(Worker.post_unit_code == unit,
                                          Worker.employee_no.in_(chunk)))).all())
    return found


async def import_workers(session: AsyncSession, ctx: Context, protection: DataProtection,
                         rows: Sequence[tuple[int, WorkerInput]], *,
                         problems: Sequence[RowProblem], total: int, sha256: str,
                         dry_run: bool) -> Outcome[Worker]:
    """Check every row; write them all (audited: one import entry, one per worker) only when
    no row breaks a rule and this is not a dry run. `problems` are those found before (the
    values' formats); `total` counts every row of the file."""
    found = list(problems)
    rules = registration_rules()
    indexes: dict[int, str] = {}
    for count, (row, data) in enumerate(rows):
        found.extend(RowProblem(row, p.field, p.code, p.params)
                     for p in registration_problems(ctx, rules, data))
        indexes[row] = protection.national_id_index(data.national_id)
        await breathe(count)
    first_rows(found, ((row, indexes[row], "national_id") for row, _ in rows))
    first_rows(found, ((row, (d.post_unit, d.employee_no), "employee_no") for row, d in rows))
    registered = await _registered(session, list(set(indexes.values())))
    used = await _numbers_used(session, list({(d.post_unit, d.employee_no) for _, d in rows}))
    for row, data in rows:
        if indexes[row] in registered:
            found.append(RowProblem(row, "national_id", "DUPLICATE_NATIONAL_ID"))
        if (data.post_unit, data.employee_no) in used:
            found.append(RowProblem(row, "employee_no", "DUPLICATE_EMPLOYEE_NO"))
    found.sort(key=lambda p: p.row)
    if found or dry_run:
        return Outcome(rows=total, problems=found)
    written = []
    for count, (row, data) in enumerate(rows):
        written.append((row, new_worker(protection, data, index=indexes[row], now=ctx.now)))
        await breathe(count)
    session.add_all([worker for _, worker in written])
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race: nothing stays
        raise Conflict("a worker with this national ID or employee number exists",
                       code="DUPLICATE_WORKER") from exc
    import_id = await audit_import(session, ctx, kind="workers", rows=total, sha256=sha256)
    for count, (_, worker) in enumerate(written):
        await audit_creation(session, ctx, worker, **{"import": import_id})
        await breathe(count)
    return Outcome(rows=total, problems=[], written=written, import_id=import_id)
