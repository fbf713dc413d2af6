"""Police unit signing keys, signed attestations, clearances and the status lists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vetting.models.base import Base, UTCDateTime, new_id, utcnow

CLEARANCE_STATES = ("active", "suspended", "revoked")
STATUS_PURPOSES = ("revocation", "suspension")


class SigningKey(Base):
    """A police unit's ES256 key; the private half lives wrapped in the key store."""

    __tablename__ = "signing_key"
    __table_args__ = (Index("ix_signing_key_unit_active", "unit_code", "retired_at"),)

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("unit.code"))
    public_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Attestation(Base):
    """The signed record of a police decision (both outcomes)."""

    __tablename__ = "attestation"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("vetting_request.id"), unique=True)
    worker_id: Mapped[str] = mapped_column(ForeignKey("worker.id"), index=True)
    police_unit_code: Mapped[str] = mapped_column(ForeignKey("unit.code"))
    kid: Mapped[str] = mapped_column(ForeignKey("signing_key.kid"))
    outcome: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    status_index: Mapped[int] = mapped_column(Integer, unique=True)
    national_id_salt: Mapped[str] = mapped_column(String(32))
    jws: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Clearance(Base):
    """A positive decision in force: active until valid_until, unless suspended or revoked."""

    __tablename__ = "clearance"
    __table_args__ = (
        CheckConstraint("state IN ('active', 'suspended', 'revoked')", name="state"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    worker_id: Mapped[str] = mapped_column(ForeignKey("worker.id"), index=True)
    attestation_id: Mapped[str] = mapped_column(ForeignKey("attestation.id"), unique=True)
    police_unit_code: Mapped[str] = mapped_column(ForeignKey("unit.code"), index=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ClearanceEvent(Base):
    """Every change of a clearance's state, kept for as-of questions."""

    __tablename__ = "clearance_event"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    clearance_id: Mapped[str] = mapped_column(ForeignKey("clearance.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    actor_id: Mapped[str | None] = mapped_column(String(32))


class StatusList(Base):
    """A W3C Bitstring Status List; bit i set means attestation i is revoked/suspended."""

    __tablename__ = "status_list"
    __table_args__ = (
        CheckConstraint("purpose IN ('revocation', 'suspension')", name="purpose"),
    )

    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
