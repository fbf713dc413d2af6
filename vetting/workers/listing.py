"""Finding workers: scoped, filtered and paged in one query, so another unit's workers are never
even read. The clearance state is computed in SQL the way `lifecycle.view` computes it for one
worker (latest clearance with computed expiry; `pending` while a request is open and no
clearance is active), from each worker's summary row (`vetting.models.summary`), so filtering
and counting by state reads one narrow row per worker instead of looking up its clearances and
requests. A page is chosen first (ids only) and only its 50 workers are then read whole."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from policies.access import scope_for
from policies.calendar import day_end
from policies.folding import fold
from policies.vocabulary import OPEN_STATES
from vetting.audit.entries import append
from vetting.errors import Forbidden
from vetting.models import Worker, WorkerSummary
from vetting.personal_data import DataProtection
from vetting.principal import Context
from vetting.repositories import WORKERS

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


def _clearance_columns(now: datetime) -> tuple[ColumnElement[str], ColumnElement[datetime]]:
    """(state, valid_until) of each worker's clearance, as `lifecycle.view` answers them."""
    stored = WorkerSummary.clearance_state
    until = WorkerSummary.clearance_valid_until
    last_request = WorkerSummary.request_state
    effective = case((and_(stored == "active", until <= now), literal("expired")),
                     else_=stored)
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


def _worker_conditions(protection: DataProtection, f: WorkerFilter
                       ) -> list[ColumnElement[bool]]:
    """The filters only the worker's own row can answer."""
    found: list[ColumnElement[bool]] = []
    if f.q:
        name = _like_escape(fold(f.q))
        number = _like_escape(f.q.strip().lower())
        found.append(or_(Worker.full_name_folded.like(f"%{name}%", escape="\\"),
                         func.lower(Worker.employee_no).like(f"{number}%", escape="\\")))
    if f.national_id is not None:
        found.append(Worker.national_id_bidx == protection.national_id_index(f.national_id))
    if f.employed is not None:
        found.append(Worker.left_on.is_(None) if f.employed else Worker.left_on.is_not(None))
    if f.stage is not None:
        found.append((literal(",") + Worker.stages + literal(",")).like(f"%,{f.stage},%"))
    return found


def _active(now: datetime) -> ColumnElement[bool]:
    """`state == "active"` in a form the summary's index answers with a range: the computed
    state is active exactly when the stored clearance is active and not yet past its end
    (an active clearance shows as active whatever the latest request; a clearance always has
    an end). Only workers with a summary row can match it."""
    return and_(WorkerSummary.clearance_state == "active",
                WorkerSummary.clearance_valid_until > now)


def _state_conditions(ctx: Context, f: WorkerFilter, state: ColumnElement[str], *,
                      by_range: bool) -> list[ColumnElement[bool]]:
    """`by_range`: an active clearance asked for as the summary index's range (to count, and
    to page a narrow expiry window); otherwise as the computed state, so a page of a broad
    state walks the workers in name order and stops at the page's last match."""
    found: list[ColumnElement[bool]] = []
    if f.clearance_state is not None and not (by_range and f.clearance_state == "active"):
        found.append(state == f.clearance_state)
    if by_range and (f.clearance_state == "active" or f.expiring_within_days is not None):
        found.append(_active(ctx.now))
    if f.expiring_within_days is not None:
        horizon = day_end(ctx.today + timedelta(days=f.expiring_within_days))
        found.append(WorkerSummary.clearance_valid_until <= horizon)
    return found


def _matching(ctx: Context, protection: DataProtection, f: WorkerFilter, now: datetime, *,
              for_page: bool) -> Select[tuple[str]]:
    """The ids of the matching workers. Filtered by clearance state only, it is counted from
    the summary rows alone (scope and unit are on them too: an index, no worker row read);
    a page, ordered by the worker's columns, reads the workers as well, found from the
    summary's index when they are few (an expiry window, a few percent of a unit)."""
    state, _ = _clearance_columns(now)
    narrow = f.expiring_within_days is not None
    by_worker = _worker_conditions(protection, f)
    by_state = _state_conditions(ctx, f, state, by_range=narrow or not for_page)
    on_summary = [WORKERS.condition(ctx.actor, "workers.read", unit=WorkerSummary.post_unit_code,
                                   worker_id=WorkerSummary.worker_id)]
    if f.post_unit is not None:
        on_summary.append(WorkerSummary.post_unit_code == f.post_unit)
    if by_state and not by_worker and not for_page:
        return select(WorkerSummary.worker_id).where(  # type: ignore[return-value]
            *on_summary, *by_state)
    query = select(Worker.id)
    if narrow:  # every match has an active clearance, so a summary row: an inner join
        query = query.join(WorkerSummary, WorkerSummary.worker_id == Worker.id).where(
            *on_summary)
    elif by_state:
        query = query.outerjoin(WorkerSummary, WorkerSummary.worker_id == Worker.id)
    query = query.where(WORKERS.condition(ctx.actor, "workers.read"), *by_worker, *by_state)
    if f.post_unit is not None:
        query = query.where(Worker.post_unit_code == f.post_unit)
    return query


async def list_workers(session: AsyncSession, ctx: Context, protection: DataProtection,
                       f: WorkerFilter, *, sort: str = "name", limit: int, offset: int
                       ) -> tuple[list[ListedWorker], int]:
    """One page of the workers the caller may read, and how many match in all. A lookup by
    national ID is for HR and the police only, and each one is audited (without the number)."""
    if f.national_id is not None and not may_search_national_id(ctx.actor.role):
        raise Forbidden("this role may not search by national ID", code="FORBIDDEN")
    counted = _matching(ctx, protection, f, ctx.now, for_page=False).subquery()
    total = int(await session.scalar(select(func.count()).select_from(counted)) or 0)
    columns = SORTS[sort.removeprefix("-")]
    order = [c.desc() for c in columns] if sort.startswith("-") else list(columns)
    page = (_matching(ctx, protection, f, ctx.now, for_page=True).order_by(*order)
            .limit(limit).offset(offset).subquery())
    state, until = _clearance_columns(ctx.now)
    rows = (await session.execute(
        select(Worker, state, until).join(page, page.c.id == Worker.id)
        .outerjoin(WorkerSummary, WorkerSummary.worker_id == Worker.id).order_by(*order)
    )).all()
    if f.national_id is not None:
        await append(session, ctx, action="worker.search_national_id", object_type="worker",
                     object_id=rows[0][0].id if rows else None, body={"found": total})
    return [ListedWorker(w, s, u) for w, s, u in rows], total


async def clearance_state_counts(session: AsyncSession, ctx: Context) -> dict[str, int]:
    """How many employed workers the caller may read are in each clearance state (every state
    named, zeros included): one grouped query, the states computed as `list_workers` does."""
    state, _ = _clearance_columns(ctx.now)
    states = select(state.label("state")).select_from(Worker).outerjoin(
        WorkerSummary, WorkerSummary.worker_id == Worker.id).where(
        WORKERS.condition(ctx.actor, "workers.read"), Worker.left_on.is_(None)).subquery()
    rows = (await session.execute(select(states.c.state, func.count()).group_by(
        states.c.state))).all()
    found = {str(s): int(n) for s, n in rows}
    return {s: found.get(s, 0) for s in CLEARANCE_STATES}
