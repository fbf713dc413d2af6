"""Test data that passes the domain's validation rules."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from policies.calendar import local_date

_rng = random.Random(20261123)
_used: set[str] = set()


def vn_today() -> date:
    """Today in Vietnam, where the registry's calendar rules live (the machine may be on UTC,
    whose date differs from 17:00 to 24:00)."""
    return local_date(datetime.now(UTC))


def days_ago(days: int) -> str:
    """A Vietnam calendar date `days` before today, so fixtures do not age with the suite."""
    return (vn_today() - timedelta(days=days)).isoformat()


def cccd(*, born: date, sex: str, legacy_code: str = "051") -> str:
    """A unique, valid CCCD number for the given birth date and sex."""
    century = (born.year // 100 - 19) * 2 + (1 if sex == "female" else 0)
    while True:
        number = f"{legacy_code}{century}{born.year % 100:02d}{_rng.randrange(10**6):06d}"
        if number not in _used:
            _used.add(number)
            return number


def worker_body(post_unit: str = "POST-51", *, born: date = date(1990, 5, 17),
                sex: str = "male", legacy_code: str = "051", **overrides: Any) -> dict[str, Any]:
    body = {
        "employee_no": f"E{_rng.randrange(10**9):09d}",
        "full_name": "Nguyễn Văn An",
        "date_of_birth": born.isoformat(),
        "sex": sex,
        "national_id": cccd(born=born, sex=sex, legacy_code=legacy_code),
        "hometown": "Tư Nghĩa, Quảng Ngãi",
        "permanent_address": "12 Lê Lợi, Quảng Ngãi",
        "permanent_province": post_unit.split("-", 1)[1],
        "current_address": "12 Lê Lợi, Quảng Ngãi",
        "post_unit": post_unit,
        "stages": ["acceptance", "transport"],
    }
    body.update(overrides)
    return body
