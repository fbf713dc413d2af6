"""CCCD (citizen identity card) number rules: 12 digits whose digits 4–6 encode sex and birth year.

Digits 1–3: the legacy (pre-2025) province code of birth registration.
Digit 4: sex and century — 0/1 male/female born 1900–1999, 2/3 in 2000–2099,
4/5 in 2100–2199 … Digits 5–6: the last two digits of the birth year.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class CccdProblem:
    """One way a number breaks the rules (its words live in the message catalogue)."""

    code: str


def century_digit(sex: str, birth_year: int) -> int:
    return (birth_year // 100 - 19) * 2 + (1 if sex == "female" else 0)


def check_cccd(number: str, *, date_of_birth: date, sex: str,
               legacy_codes: Collection[str]) -> list[CccdProblem]:
    """Every way `number` disagrees with the rules or with the stated birth date and sex."""
    if len(number) != 12 or not number.isascii() or not number.isdigit():
        return [CccdProblem("CCCD_FORMAT")]
    problems = []
    if number[:3] not in legacy_codes:
        problems.append(CccdProblem("CCCD_PROVINCE"))
    year = date_of_birth.year
    if year < 1900 or int(number[3]) != century_digit(sex, year):
        problems.append(CccdProblem("CCCD_SEX_CENTURY"))
    if number[4:6] != f"{year % 100:02d}":
        problems.append(CccdProblem("CCCD_BIRTH_YEAR"))
    return problems


def mask(number: str) -> str:
    """What non-police callers see: the first digit and the last three (`0xx*******123`)."""
    return f"{number[0]}xx{'*' * 7}{number[-3:]}"
