"""Reference data: the 34 provinces and the post and police units in them."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from vetting.models.base import Base

UNIT_KINDS = ("post", "police")


class Province(Base):
    __tablename__ = "province"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))


class LegacyProvince(Base):
    """The 63 pre-2025 codes that still open every CCCD number."""

    __tablename__ = "legacy_province"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    province_code: Mapped[str] = mapped_column(ForeignKey("province.code"))


class Unit(Base):
    __tablename__ = "unit"
    __table_args__ = (CheckConstraint("kind IN ('post', 'police')", name="kind"),)

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    province_code: Mapped[str] = mapped_column(ForeignKey("province.code"), index=True)
