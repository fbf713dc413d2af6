"""KT1 routes and the assignments of workers to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from policies.vocabulary import STAGES, sql_in
from vetting.models.base import Base, UTCDateTime, new_id, utcnow


class Route(Base):
    __tablename__ = "route"
    __table_args__ = (
        UniqueConstraint("province_code", "code"),
        CheckConstraint("max_secrecy IN ('A', 'B', 'C')", name="max_secrecy"),
        CheckConstraint(sql_in("stage", STAGES), name="stage"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    province_code: Mapped[str] = mapped_column(ForeignKey("province.code"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(12))
    service_classes: Mapped[str] = mapped_column(String(40))  # comma-separated
    max_secrecy: Mapped[str] = mapped_column(String(1))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Assignment(Base):
    """A worker on a route for a window; ended early by `ended_at`. Blocked is computed."""

    __tablename__ = "assignment"
    __table_args__ = (Index("ix_assignment_worker_route", "worker_id", "route_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    worker_id: Mapped[str] = mapped_column(ForeignKey("worker.id"))
    route_id: Mapped[str] = mapped_column(ForeignKey("route.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
