"""Incidents, the workers involved, and the notification outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from policies.vocabulary import INCIDENT_KINDS, sql_in
from vetting.models.base import Base, UTCDateTime, new_id, utcnow


class Incident(Base):
    __tablename__ = "incident"
    __table_args__ = (
        CheckConstraint(sql_in("kind", INCIDENT_KINDS), name="kind"),
        CheckConstraint("state IN ('open', 'concluded')", name="state"),
        Index("ix_incident_province_time", "province_code", "occurred_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    post_unit_code: Mapped[str] = mapped_column(ForeignKey("unit.code"))
    province_code: Mapped[str] = mapped_column(ForeignKey("province.code"))
    route_id: Mapped[str | None] = mapped_column(ForeignKey("route.id"))
    description_enc: Mapped[bytes] = mapped_column(LargeBinary)
    reported_by: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class IncidentWorker(Base):
    """A worker involved; `clearance_id` is the clearance this incident suspended, if any."""

    __tablename__ = "incident_worker"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    worker_id: Mapped[str] = mapped_column(ForeignKey("worker.id"), primary_key=True)
    clearance_id: Mapped[str | None] = mapped_column(ForeignKey("clearance.id"))
    resolution: Mapped[str | None] = mapped_column(String(12))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(32))


class OutboxEvent(Base):
    """Written in the producer's transaction. In-app delivery happens at once; other
    channels (webhook, e-mail) read undelivered rows later and set `relayed_at`."""

    __tablename__ = "outbox_event"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    event_id: Mapped[str] = mapped_column(ForeignKey("outbox_event.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
