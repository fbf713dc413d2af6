"""Checks that a role's province and unit make sense together."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from policies.access import PROVINCE_ROLES, UNIT_KIND_BY_ROLE
from vetting.errors import InvalidInput
from vetting.models import Province, Unit


@dataclass(frozen=True, slots=True)
class Placement:
    province: str | None
    unit: str | None


async def resolve_placement(
    session: AsyncSession, *, role: str, province: str | None, unit: str | None
) -> Placement:
    """A role's unit decides its province; a role without one keeps neither."""
    unit_kind = UNIT_KIND_BY_ROLE.get(role)
    if unit_kind is not None:
        if not unit:
            raise InvalidInput(f"the role {role} needs a {unit_kind} unit", field="unit",
                               code="UNIT_REQUIRED")
        found = await session.get(Unit, unit)
        if found is None:
            raise InvalidInput(f"unit {unit} does not exist", field="unit", code="UNKNOWN_UNIT")
        if found.kind != unit_kind:
            raise InvalidInput(f"the role {role} needs a {unit_kind} unit, not a {found.kind} unit",
                               field="unit", code="WRONG_UNIT_KIND")
        if province and province != found.province_code:
            raise InvalidInput(f"unit {unit} is in province {found.province_code}",
                               field="province", code="PROVINCE_MISMATCH")
        return Placement(province=found.province_code, unit=found.code)
    if unit:
        raise InvalidInput(f"the role {role} has no unit", field="unit", code="UNIT_NOT_ALLOWED")
    if role in PROVINCE_ROLES:
        if not province:
            raise InvalidInput(f"the role {role} needs a province", field="province",
                               code="PROVINCE_REQUIRED")
        if await session.get(Province, province) is None:
            raise InvalidInput(f"province {province} does not exist", field="province",
                               code="UNKNOWN_PROVINCE")
        return Placement(province=province, unit=None)
    if province:
        raise InvalidInput(f"the role {role} has no province", field="province",
                           code="PROVINCE_NOT_ALLOWED")
    return Placement(province=None, unit=None)
