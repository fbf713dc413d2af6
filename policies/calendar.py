"""Vietnam's calendar (Asia/Ho_Chi_Minh, UTC+7, no daylight saving) for every date rule.

Instants are stored and sent in UTC; a date the law or policy speaks of (a training valid
until D, a report period, a due date, an age) is a day in Vietnam, and "valid until D" means
through the end of D there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from policies.validity import add_months

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
#: Years any date or time may have (births included); records and reports start in 2000.
YEARS = range(1900, 2101)
RECORD_YEARS = range(2000, 2101)


def local_date(instant: datetime) -> date:
    """The day it is in Vietnam at `instant`."""
    return instant.astimezone(VIETNAM).date()


def day_start(day: date) -> datetime:
    """00:00 of `day` in Vietnam, as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=VIETNAM).astimezone(UTC)


def day_end(day: date) -> datetime:
    """The first instant after `day` in Vietnam (exclusive end: valid *through* `day`)."""
    return day_start(day + timedelta(days=1))


def months_later(instant: datetime, months: int) -> datetime:
    """The same Vietnam wall-clock time `months` calendar months on (the 31st clamps)."""
    local = instant.astimezone(VIETNAM)
    later = add_months(local.date(), months)
    return datetime.combine(later, local.timetz().replace(tzinfo=None),
                            tzinfo=VIETNAM).astimezone(UTC)
