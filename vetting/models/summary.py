"""Each worker's latest clearance and latest vetting request, copied into one narrow row, so
the worker list filters and counts by clearance state from an index instead of looking both up
for every worker (at 10,000 workers a unit, those lookups were most of a list call's time).

The copy is kept in one place, by the session: every flush notes the workers whose
clearances or requests it wrote (or who are new), and the commit refreshes their rows from
the tables themselves, last, so the copy is of what commits. On PostgreSQL the rows are
locked first and then recomputed in a new statement, so a transaction that waited for
another's commit sees it (READ COMMITTED takes a snapshot per statement); being the last lock
a transaction takes, and held only for its commit, it adds no lock-order cycle. The source of
truth stays the clearance and request tables (`lifecycle.view` reads them): an edit behind
the registry's back, bypassing the session, is not copied.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    bindparam,
    event,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from vetting.models.attestations import Clearance
from vetting.models.base import Base, UTCDateTime
from vetting.models.workers import VettingRequest, Worker

_PENDING = "kt1.worker_summary.pending"
_MADE = "kt1.worker_summary.made"


class WorkerSummary(Base):
    """The stored state and end of the worker's latest clearance (by `valid_from`) and the
    state of its latest request (by `submitted_at`); what the list's clearance state is made
    of, as `lifecycle.view` makes it (expiry is judged when asked, from `valid_until`)."""

    __tablename__ = "worker_summary"
    __table_args__ = (
        Index("ix_worker_summary_unit_state", "post_unit_code", "clearance_state",
              "clearance_valid_until", "request_state"),
    )

    worker_id: Mapped[str] = mapped_column(ForeignKey("worker.id"), primary_key=True)
    post_unit_code: Mapped[str] = mapped_column(String(40))  # the worker's; never changes
    clearance_state: Mapped[str | None] = mapped_column(String(16))
    clearance_valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    request_state: Mapped[str | None] = mapped_column(String(20))


def _latest_clearance(worker_id: ColumnElement[str], column: Any) -> Any:
    return (select(column).where(Clearance.worker_id == worker_id)
            .order_by(Clearance.valid_from.desc(), Clearance.id.desc()).limit(1)
            .scalar_subquery())


def _latest_request_state(worker_id: ColumnElement[str]) -> Any:
    return (select(VettingRequest.state).where(VettingRequest.worker_id == worker_id)
            .order_by(VettingRequest.submitted_at.desc(), VettingRequest.id.desc()).limit(1)
            .scalar_subquery())


def _values(worker_id: ColumnElement[str]) -> dict[str, Any]:
    return {"clearance_state": _latest_clearance(worker_id, Clearance.state),
            "clearance_valid_until": _latest_clearance(worker_id, Clearance.valid_until),
            "request_state": _latest_request_state(worker_id)}


def _statements() -> tuple[Any, Any, Any, Any]:
    """The refresh's statements, built once: each of `ids` (an expanding parameter) is a
    worker; making them afresh and computing their cache keys cost more than running them."""
    table = WorkerSummary.__table__
    ids = bindparam("ids", expanding=True)
    lock = select(table.c.worker_id).where(table.c.worker_id.in_(ids)).with_for_update()
    recompute = update(table).where(table.c.worker_id.in_(ids)).values(
        **_values(table.c.worker_id))
    values = _values(Worker.id)
    missing = select(Worker.id, Worker.post_unit_code, *values.values()).where(
        ~exists().where(table.c.worker_id == Worker.id))
    columns = ["worker_id", "post_unit_code", *values]
    return (lock, recompute, insert(table).from_select(columns, missing.where(Worker.id.in_(ids))),
            insert(table).from_select(columns, missing))


_LOCK, _RECOMPUTE, _INSERT_MISSING, _INSERT_ALL_MISSING = _statements()


def refresh(connection: Connection, worker_ids: Iterable[str], new: Iterable[str] = ()) -> None:
    """Recompute the summary rows of `worker_ids` from the tables, and make those of the
    workers `new` in this transaction (who have no row to lock or update yet)."""
    made = set(new)
    if ids := sorted(set(worker_ids) - made):
        if connection.dialect.name != "sqlite":  # SQLite's one writer needs no row locks
            # PostgreSQL: wait for the rows here, in id order, so the UPDATE below starts after
            # the other commit with a snapshot that sees it (an UPDATE that waited itself would
            # recompute from its older snapshot and undo the other's change)
            connection.execute(_LOCK, {"ids": ids})
        if connection.execute(_RECOMPUTE, {"ids": ids}).rowcount < len(ids):
            connection.execute(_INSERT_MISSING, {"ids": ids})  # written around the session
    if made:
        connection.execute(_INSERT_MISSING, {"ids": sorted(made)})


def fill_missing(connection: Connection) -> None:
    """Summary rows for every worker without one (workers written in bulk, as by a bench)."""
    connection.execute(_INSERT_ALL_MISSING)


@event.listens_for(Session, "after_flush")
def _note(session: Session, _context: object) -> None:
    """The workers this flush made, or whose clearances or requests it wrote."""
    changed: set[str] = session.info.setdefault(_PENDING, set())
    made: set[str] = session.info.setdefault(_MADE, set())
    for obj in chain(session.new, session.dirty):
        if isinstance(obj, Worker) and obj in session.new:
            made.add(obj.id)
        elif isinstance(obj, (Clearance, VettingRequest)):
            changed.add(obj.worker_id)


@event.listens_for(Session, "before_commit")
def _refresh_noted(session: Session) -> None:
    session.flush()  # the commit flushes after this hook: what it would write is noted now
    changed, made = session.info.pop(_PENDING, None), session.info.pop(_MADE, None)
    if changed or made:
        refresh(session.connection(), changed or (), made or ())


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_MADE, None)
