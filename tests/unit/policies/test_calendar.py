"""Vietnam's calendar: the day boundaries fall at 17:00 UTC, never at UTC midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime

from policies.calendar import day_end, day_start, local_date, months_later


def test_half_past_eleven_at_night_on_30_june_is_still_30_june_in_vietnam() -> None:
    assert local_date(datetime(2026, 6, 30, 16, 30, tzinfo=UTC)) == date(2026, 6, 30)
    assert local_date(datetime(2026, 6, 30, 17, 0, tzinfo=UTC)) == date(2026, 7, 1)
    # and UTC's own date would already be wrong in the early Vietnamese morning
    assert local_date(datetime(2026, 6, 30, 18, 0, tzinfo=UTC)) == date(2026, 7, 1)


def test_a_vietnam_day_runs_from_17_00_utc_the_day_before() -> None:
    assert day_start(date(2026, 1, 1)) == datetime(2025, 12, 31, 17, 0, tzinfo=UTC)
    assert day_end(date(2026, 6, 30)) == datetime(2026, 6, 30, 17, 0, tzinfo=UTC)


def test_months_later_keeps_the_vietnamese_calendar_day() -> None:
    # 23:30 on 31 January in Vietnam is 16:30 UTC: 24 months on is 31 January 2028 there,
    # though UTC's calendar would say the same; on 1 Feb 00:30 Vietnam (17:30 UTC 31 Jan) the
    # Vietnamese day is 1 February and so is the end.
    assert months_later(datetime(2026, 1, 31, 16, 30, tzinfo=UTC), 24) == \
        datetime(2028, 1, 31, 16, 30, tzinfo=UTC)
    assert months_later(datetime(2026, 1, 31, 17, 30, tzinfo=UTC), 1) == \
        datetime(2026, 2, 28, 17, 30, tzinfo=UTC)  # 1 March 00:30 would clamp wrong in UTC
    assert local_date(months_later(datetime(2026, 1, 31, 17, 30, tzinfo=UTC), 1)) == \
        date(2026, 3, 1)
