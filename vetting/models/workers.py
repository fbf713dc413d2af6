"""Workers, their training and commitments, vetting requests and their history.

Columns ending in `_enc` hold AES-256-GCM ciphertext bound to (table, column,
row id, key version); `national_id_bidx` is the blind index that makes the
national ID unique and searchable without storing it in the clear.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from policies.vocabulary import REQUEST_STATES, sql_in
from vetting.models.base import Base, UTCDateTime, new_id, utcnow


class Worker(Base):
    __tablename__ = "worker"
    __table_args__ = (
        UniqueConstraint("post_unit_code", "employee_no"),
        CheckConstraint("sex IN ('male', 'female')", name="sex"),
        # the list: by name (and `q` over name and employee number: the id too, so a search
        # within a unit is answered from the index alone), by registration time
        Index("ix_worker_unit_name", "post_unit_code", "full_name_folded", "employee_no", "id"),
        Index("ix_worker_unit_created", "post_unit_code", "created_at"),
        Index("ix_worker_full_name_folded", "full_name_folded"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    post_unit_code: Mapped[str] = mapped_column(ForeignKey("unit.code"), index=True)
    employee_no: Mapped[str] = mapped_column(String(32))
    full_name: Mapped[str] = mapped_column(String(200))
    #: `policies.folding.fold(full_name)`: what accent-insensitive search and sorting read
    full_name_folded: Mapped[str] = mapped_column(String(200))
    sex: Mapped[str] = mapped_column(String(6))
    stages: Mapped[str] = mapped_column(String(100))  # comma-separated, in canonical order
    permanent_province: Mapped[str] = mapped_column(ForeignKey("province.code"))
    national_id_bidx: Mapped[str] = mapped_column(String(64), unique=True)
    national_id_mask: Mapped[str] = mapped_column(String(16))
    national_id_enc: Mapped[bytes] = mapped_column(LargeBinary)
    date_of_birth_enc: Mapped[bytes] = mapped_column(LargeBinary)
    hometown_enc: Mapped[bytes] = mapped_column(LargeBinary)
    permanent_address_enc: Mapped[bytes] = mapped_column(LargeBinary)
    current_address_enc: Mapped[bytes] = mapped_column(LargeBinary)
    left_on: Mapped[date | None] = mapped_column(Date)
    leave_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Training(Base):
    __tablename__ = "training"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    worker_id: Mapped[str] = mapped_column(ForeignKey("worker.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    completed_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Commitment(Base):
    __tablename__ = "commitment"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    worker_id: Mapped[str] = mapped_column(ForeignKey("worker.id"), index=True)
    signed_on: Mapped[date] = mapped_column(Date)
    document_sha256: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VettingRequest(Base):
    __tablename__ = "vetting_request"
    __table_args__ = (
        CheckConstraint(sql_in("state", REQUEST_STATES), name="state"),
        Index("ix_vetting_request_unit_state", "police_unit_code", "state"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    worker_id: Mapped[str] = mapped_column(ForeignKey("worker.id"), index=True)
    post_unit_code: Mapped[str] = mapped_column(ForeignKey("unit.code"), index=True)
    police_unit_code: Mapped[str] = mapped_column(ForeignKey("unit.code"))
    state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(1000))
    stages: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[date] = mapped_column(Date)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by: Mapped[str | None] = mapped_column(String(32))
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    info_request_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    proposed_outcome: Mapped[str | None] = mapped_column(String(20))
    proposed_by: Mapped[str | None] = mapped_column(String(32))
    police_note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    outcome: Mapped[str | None] = mapped_column(String(20))
    approved_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    policy_version: Mapped[str] = mapped_column(String(20))
    decision_policy_version: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class VettingEvent(Base):
    """Every transition of a request, including transfers between police units."""

    __tablename__ = "vetting_event"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("vetting_request.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    police_unit_code: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(1000))  # why, for a transfer


class IdempotencyRecord(Base):
    """A POST answered once for one account in one scope: the same key and body replay the
    answer (while the caller could still read what it shows), another body is refused, and
    the record expires. `claim` names the request holding the key while the action runs."""

    __tablename__ = "idempotency_record"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    request_sha256: Mapped[str] = mapped_column(String(64))
    claim: Mapped[str] = mapped_column(String(32))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int] = mapped_column(Integer)
    response_headers: Mapped[str] = mapped_column(Text)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
