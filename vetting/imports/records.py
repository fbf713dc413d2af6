"""Training records and signed commitments from a spreadsheet, each row naming the worker by
employee number: checked as one record is (`vetting.workers.records`), written all or none."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from policies.policy import Policy
from vetting.errors import InvalidInput
from vetting.imports.rows import Outcome, RowProblem, audit_import, breathe, chunks, first_rows
from vetting.models import Commitment, Training, Worker
from vetting.principal import Context
from vetting.repositories import WORKERS
from vetting.workers.records import (
    audit_commitment,
    audit_training,
    check_commitment,
    new_commitment,
    new_training,
    training_until,
)

T = TypeVar("T", Training, Commitment)


@dataclass(frozen=True, slots=True)
class TrainingRow:
    employee_no: str
    kind: str
    completed_on: date
    valid_until: date | None


@dataclass(frozen=True, slots=True)
class CommitmentRow:
    employee_no: str
    signed_on: date
    document_sha256: str


async def _workers(session: AsyncSession, ctx: Context, numbers: list[str], *,
                   lock: bool) -> dict[str, Worker]:
    """The caller's unit's workers by employee number, locked (unless only checking) as one
    record locks its worker."""
    found: dict[str, Worker] = {}
    for chunk in chunks(numbers):
        query = WORKERS.statement(ctx.actor, "workers.record").where(
            Worker.employee_no.in_(chunk))
        for worker in (await session.scalars(query.with_for_update() if lock else query)).all():
            found[worker.employee_no] = worker
    return found


async def _import(session: AsyncSession, ctx: Context, rows: Sequence[tuple[int, Any]], *,
                  kind: str, problems: Sequence[RowProblem], total: int, sha256: str,
                  dry_run: bool, build: Callable[[Any, Worker], T],
                  audit: Callable[..., Any]) -> Outcome[T]:
    found = list(problems)
    workers = await _workers(session, ctx, list({r.employee_no for _, r in rows}),
                             lock=not dry_run)
    built: list[tuple[int, T]] = []
    for count, (row, data) in enumerate(rows):
        worker = workers.get(data.employee_no)
        if worker is None:
            found.append(RowProblem(row, "employee_no", "UNKNOWN_EMPLOYEE_NO"))
        elif worker.left_on is not None:
            found.append(RowProblem(row, "employee_no", "EMPLOYMENT_ENDED"))
        else:
            try:
                built.append((row, build(data, worker)))
            except InvalidInput as broken:
                found.append(RowProblem(row, broken.field, broken.code, dict(broken.extra)))
        await breathe(count)
    found.sort(key=lambda p: p.row)
    if found or dry_run:
        return Outcome(rows=total, problems=found)
    session.add_all([record for _, record in built])
    await session.flush()
    import_id = await audit_import(session, ctx, kind=kind, rows=total, sha256=sha256)
    for count, (_, record) in enumerate(built):
        await audit(session, ctx, record, **{"import": import_id})
        await breathe(count)
    return Outcome(rows=total, problems=[], written=built, import_id=import_id)


async def import_trainings(session: AsyncSession, ctx: Context, policy: Policy,
                           rows: Sequence[tuple[int, TrainingRow]], *,
                           problems: Sequence[RowProblem], total: int, sha256: str,
                           dry_run: bool) -> Outcome[Training]:
    found = list(problems)
    first_rows(found, ((row, (r.employee_no, r.kind, r.completed_on), "completed_on")
                       for row, r in rows))

    def build(data: TrainingRow, worker: Worker) -> Training:
        until = training_until(ctx, policy, completed_on=data.completed_on,
                               valid_until=data.valid_until)
        return new_training(ctx, worker, kind=data.kind, completed_on=data.completed_on,
                            until=until)

    return await _import(session, ctx, rows, kind="trainings", problems=found, total=total,
                         sha256=sha256, dry_run=dry_run, build=build, audit=audit_training)


async def import_commitments(session: AsyncSession, ctx: Context,
                             rows: Sequence[tuple[int, CommitmentRow]], *,
                             problems: Sequence[RowProblem], total: int, sha256: str,
                             dry_run: bool) -> Outcome[Commitment]:
    found = list(problems)
    first_rows(found, ((row, (r.employee_no, r.document_sha256), "document_sha256")
                       for row, r in rows))

    def build(data: CommitmentRow, worker: Worker) -> Commitment:
        check_commitment(ctx, signed_on=data.signed_on, document_sha256=data.document_sha256)
        return new_commitment(ctx, worker, signed_on=data.signed_on,
                              document_sha256=data.document_sha256)

    return await _import(session, ctx, rows, kind="commitments", problems=found, total=total,
                         sha256=sha256, dry_run=dry_run, build=build, audit=audit_commitment)
