"""Loads the public reference data (provinces, legacy CCCD codes, their units) idempotently."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vetting.models import LegacyProvince, Province, Unit


@dataclass(frozen=True, slots=True)
class LoadReport:
    provinces: int
    legacy_codes: int
    units: int
    changed: int


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("vetting").joinpath("reference", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@dataclass(frozen=True, slots=True)
class UnitRow:
    """A post or police unit as the reference data defines it (its row in `unit`)."""

    code: str
    kind: str
    name: str
    province_code: str


def _units_of(province_rows: list[dict[str, str]]) -> Iterator[UnitRow]:
    """Each province's post and police unit."""
    for row in province_rows:
        level = "thành phố" if row["kind"] == "city" else "tỉnh"
        for kind, code, label in (
            ("post", post_unit_code(row["code"]), "Bưu điện"),
            ("police", police_unit_code(row["code"]), "Công an"),
        ):
            yield UnitRow(code, kind, f"{label} {level} {row['name']}", row["code"])


@cache
def units() -> Mapping[str, UnitRow]:
    """Every unit by its code, as `load_reference_data` puts them in the tables (on every
    start, adding and never removing): for the write paths, which then need no query."""
    return MappingProxyType({unit.code: unit for unit in _units_of(_rows("provinces.csv"))})


@cache
def province_codes() -> frozenset[str]:
    """The provinces' codes, as `load_reference_data` puts them in every registry's tables
    (on every start, adding and never removing): for checks that need no query."""
    return frozenset(row["code"] for row in _rows("provinces.csv"))


@cache
def legacy_codes() -> frozenset[str]:
    """The legacy CCCD province codes, likewise."""
    return frozenset(row["legacy_code"] for row in _rows("legacy_provinces.csv"))


def post_unit_code(province_code: str) -> str:
    return f"POST-{province_code}"


def police_unit_code(province_code: str) -> str:
    return f"POLICE-{province_code}"


async def load_reference_data(session: AsyncSession) -> LoadReport:
    """Insert or refresh provinces, legacy codes and each province's two units."""
    changed = 0
    provinces = {p.code: p for p in (await session.scalars(select(Province))).all()}
    province_rows = _rows("provinces.csv")
    for row in province_rows:
        existing = provinces.get(row["code"])
        if existing is None:
            session.add(Province(code=row["code"], name=row["name"], kind=row["kind"]))
            changed += 1
        elif (existing.name, existing.kind) != (row["name"], row["kind"]):
            existing.name, existing.kind = row["name"], row["kind"]
            changed += 1
    await session.flush()

    legacy = {p.code: p for p in (await session.scalars(select(LegacyProvince))).all()}
    legacy_rows = _rows("legacy_provinces.csv")
    for row in legacy_rows:
        values = (row["legacy_name"], row["current_code"])
        existing_legacy = legacy.get(row["legacy_code"])
        if existing_legacy is None:
            session.add(LegacyProvince(code=row["legacy_code"], name=values[0],
                                       province_code=values[1]))
            changed += 1
        elif (existing_legacy.name, existing_legacy.province_code) != values:
            existing_legacy.name, existing_legacy.province_code = values
            changed += 1

    units = {u.code: u for u in (await session.scalars(select(Unit))).all()}
    for row in _units_of(province_rows):
        unit = units.get(row.code)
        if unit is None:
            session.add(Unit(code=row.code, kind=row.kind, name=row.name,
                             province_code=row.province_code))
            changed += 1
        elif (unit.kind, unit.name, unit.province_code) != (row.kind, row.name,
                                                             row.province_code):
            unit.kind, unit.name, unit.province_code = row.kind, row.name, row.province_code
            changed += 1
    await session.flush()
    return LoadReport(len(province_rows), len(legacy_rows), 2 * len(province_rows), changed)
