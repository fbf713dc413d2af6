"""The post and police units of the reference data, as forms and pages name them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vetting.models import Unit


@dataclass(frozen=True, slots=True)
class UnitName:
    code: str
    name: str
    province: str


async def units_of_kind(session: AsyncSession, kind: str) -> list[UnitName]:
    """Every unit of `kind` ("post" or "police"), by province code: the choices of a form
    (a transfer names the police unit it hands the request to)."""
    rows = await session.scalars(select(Unit).where(Unit.kind == kind)
                                 .order_by(Unit.province_code, Unit.code))
    return [UnitName(u.code, u.name, u.province_code) for u in rows.all()]


async def unit_names(session: AsyncSession, codes: Iterable[str]) -> dict[str, str]:
    """Code -> name of the units asked for (reference data: public, no scope)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(wanted)))
    return {code: name for code, name in rows.all()}
