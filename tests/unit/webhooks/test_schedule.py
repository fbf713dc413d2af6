"""The retry schedule: exponential back-off with jitter, inside the 24 h window."""

from __future__ import annotations

import dataclasses
import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from vetting.settings import WebhookSettings
from vetting.webhooks.schedule import next_attempt, retry_after_seconds

START = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
DEFAULTS = WebhookSettings()


def schedule(seed: int, settings: WebhookSettings = DEFAULTS) -> list[datetime]:
    """The attempt times of a round whose every attempt fails."""
    rng, now, times = random.Random(seed), START, [START]
    while (when := next_attempt(attempts=len(times), round_started_at=START, now=now,
                                settings=settings, rng=rng)) is not None:
        times.append(when)
        now = when
    return times


@pytest.mark.parametrize("seed", range(20))
def test_attempts_spread_over_24_hours_and_stop(seed: int) -> None:
    times = schedule(seed)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert 4 <= gaps[0] <= 6  # 5 s ± 20 %
    assert all(b >= a * 0.5 for a, b in itertools.pairwise(gaps[:-1]))  # growing (the last
    # one is cut short by the end of the window)
    assert max(gaps) <= DEFAULTS.retry_max_delay_s * 1.2 + 1
    assert times[-1] == START + timedelta(hours=24)  # the last attempt ends the window
    assert 9 <= len(times) <= 14


def test_jitter_spreads_receivers_that_failed_together() -> None:
    second = {schedule(seed)[1] for seed in range(30)}
    assert len(second) == 30


def test_max_attempts_parks_earlier() -> None:
    assert len(schedule(1, dataclasses.replace(DEFAULTS, max_attempts=3))) == 3


def test_nothing_after_the_window() -> None:
    late = START + timedelta(hours=24, seconds=1)
    assert next_attempt(attempts=2, round_started_at=START, now=late, settings=DEFAULTS) is None


def test_retry_after_is_honoured_but_bounded() -> None:
    honoured = next_attempt(attempts=1, round_started_at=START, now=START, settings=DEFAULTS,
                            retry_after_s=900)
    assert honoured == START + timedelta(seconds=900)
    capped = next_attempt(attempts=1, round_started_at=START, now=START, settings=DEFAULTS,
                          retry_after_s=10**9)
    assert capped == START + timedelta(seconds=DEFAULTS.retry_max_delay_s)


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), (" 7 ", 7.0), ("Wed, 01 Jul 2026 08:10:00 GMT", 600.0),
    ("Wed, 01 Jul 2026 07:00:00 GMT", 0.0), ("soon", None), ("", None), (None, None),
    ("-5", None),
])
def test_retry_after_is_read_as_seconds_or_a_date(value: str | None,
                                                  seconds: float | None) -> None:
    assert retry_after_seconds(value, START) == seconds
