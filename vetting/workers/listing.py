"""Finding workers: scoped, filtered and paged in one query, so another unit's workers are never
even read. The clearance state is computed in SQL the way `lifecycle.view` computes it for one
worker (latest clearance with computed expiry; `pending` while a request is open and no
clearance is active)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from policies.access import scope_for
from policies.calendar import day_end
from policies.folding import fold
from policies.vocabulary import OPEN_STATES
from vetting.audit.entries import append
from vetting.errors import Forbidden
from vetting.models import Clearance, VettingRequest, Worker
from vetting.personal_data import DataProtection
from vetting.principal import Context
from vetting.scoping import worker_condition

CLEARANCE_STATES = ("none", "pending", "active", "expired", "suspended", "revoked",
                    "not_cleared")
#: Who may look a worker up by national ID (the blind index): HR and the police.
NATIONAL_ID_SEARCH = "workers.search_national_id"
SORTS = {"name": (Worker.full_name_folded, Worker.id), "employee_no": (Worker.employee_no,
                                                                       Worker.id),
         "created_at": (Worker.created_at, Worker.id)}


@dataclass(frozen=True, slots=True)
class WorkerFilter:
    q: str | None = None
    national_id: str | None = None
    post_unit: str | None = None
    employed: bool | None = None
    stage: str | None = None
    clearance_state: str | None = None
    expiring_within_days: int | None = None


@dataclass(frozen=True, slots=True)
class ListedWorker:
    worker: Worker
    clearance_state: str
    clearance_valid_until: datetime | None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _latest_clearance(column: ColumnElement[object]) -> ColumnElement[object]:
    return (select(column).where(Clearance.worker_id == Worker.id)
            .order_by(Clearance.valid_from.desc()).limit(1).scalar_subquery())


def _clearance_columns(now: datetime) -> tuple[ColumnElement[str], ColumnElement[datetime]]:
    """(state, valid_until) of each worker's clearance, as `lifecycle.view` answers them."""
    stored = _latest_clearance(Clearance.state)
    until = _latest_clearance(Clearance.valid_until)
    effective = case((and_(stored == "active", until <= now), literal("expired")),
                     else_=stored)
    last_request = (select(VettingRequest.state).where(VettingRequest.worker_id == Worker.id)
                    .order_by(VettingRequest.submitted_at.desc()).limit(1).scalar_subquery())
    state = case(
        (and_(stored.is_not(None), or_(effective == "active", last_request.is_(None),
                                       last_request.not_in(OPEN_STATES))), effective),
        (last_request.in_(OPEN_STATES), literal("pending")),
        (last_request == "not_cleared", literal("not_cleared")),
        else_=literal("none"))
    shown_until = case((and_(stored.is_not(None), state == effective), until), else_=None)
    return state, shown_until  # type: ignore[return-value]


def may_search_national_id(role: str) -> bool:
    return scope_for(role, NATIONAL_ID_SEARCH) is not None


def _conditions(ctx: Context, protection: DataProtection, f: WorkerFilter,
                state: ColumnElement[str], until: ColumnElement[datetime]
                ) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [worker_condition(ctx.actor, "workers.read")]
    if f.q:
        name = _like_escape(fold(f.q))
        number = _like_escape(f.q.strip().lower())
        found.append(or_(Worker.full_name_folded.like(f"%{name}%", escape="\\"),
                         func.lower(Worker.employee_no).like(f"{number}%", escape="\\")))
    if f.national_id is not None:
        found.append(Worker.national_id_bidx == protection.national_id_index(f.national_id))
    if f.post_unit is not None:
        found.append(Worker.post_unit_code == f.post_unit)
    if f.employed is not None:
        found.append(Worker.left_on.is_(None) if f.employed else Worker.left_on.is_not(None))
    if f.stage is not None:
        found.append((literal(",") + Worker.stages + literal(",")).like(f"%,{f.stage},%"))
    if f.clearance_state is not None:
        found.append(state == f.clearance_state)
    if f.expiring_within_days is not None:
        horizon = day_end(ctx.today + timedelta(days=f.expiring_within_days))
        found.extend((state == "active", until <= horizon))
    return found


async def list_workers(session: AsyncSession, ctx: Context, protection: DataProtection,
                       f: WorkerFilter, *, sort: str = "name", limit: int, offset: int
                       ) -> tuple[list[ListedWorker], int]:
    """One page of the workers the caller may read, and how many match in all. A lookup by
    national ID is for HR and the police only, and each one is audited (without the number)."""
    if f.national_id is not None and not may_search_national_id(ctx.actor.role):
        raise Forbidden("this role may not search by national ID", code="FORBIDDEN")
    state, until = _clearance_columns(ctx.now)
    where = _conditions(ctx, protection, f, state, until)
    total = int(await session.scalar(select(func.count()).select_from(Worker).where(*where))
                or 0)
    columns = SORTS[sort.removeprefix("-")]
    order = [c.desc() for c in columns] if sort.startswith("-") else list(columns)
    rows = (await session.execute(select(Worker, state, until).where(*where).order_by(*order)
                                  .limit(limit).offset(offset))).all()
    if f.national_id is not None:
        await append(session, ctx, action="worker.search_national_id", object_type="worker",
                     object_id=rows[0][0].id if rows else None, body={"found": total})
    return [ListedWorker(w, s, u) for w, s, u in rows], total


async def clearance_state_counts(session: AsyncSession, ctx: Context) -> dict[str, int]:
    """How many employed workers the caller may read are in each clearance state (every state
    named, zeros included): one grouped query, the states computed as `list_workers` does."""
    state, _ = _clearance_columns(ctx.now)
    states = select(state.label("state")).where(
        worker_condition(ctx.actor, "workers.read"), Worker.left_on.is_(None)).subquery()
    rows = (await session.execute(select(states.c.state, func.count()).group_by(
        states.c.state))).all()
    found = {str(s): int(n) for s, n in rows}
    return {s: found.get(s, 0) for s in CLEARANCE_STATES}
