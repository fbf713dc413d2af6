"""The append-only audit log and the Merkle tree nodes that make it tamper-evident."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vetting.models.base import Base, UTCDateTime


class AuditEntry(Base):
    """One action. `body` is canonical JSON holding identifiers only, never personal data."""

    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[str | None] = mapped_column(String(64), index=True)
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditNode(Base):
    """Hash of a perfect, aligned subtree: leaves [idx * 2**level, (idx + 1) * 2**level)."""

    __tablename__ = "audit_node"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHead(Base):
    """A single row holding the log size; locking it serialises appends on PostgreSQL."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class AuditCheckpoint(Base):
    """A signed tree head; the primary key on size forbids two roots for one size."""

    __tablename__ = "audit_checkpoint"

    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                      primary_key=True, autoincrement=False)
    origin: Mapped[str] = mapped_column(String(200))
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    timestamp: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(200))
