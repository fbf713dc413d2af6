"""When a failed delivery is tried again: exponential back-off with jitter, inside a window.

With the defaults (5 s base, ×5 per attempt, at most 5 h apart, 24 h window) the attempts
fall near the Standard Webhooks schedule: at once, 5 s, 25 s, 2 min, 10 min, 52 min, 4 h,
then every 5 h, the last one at the end of the 24 h. Jitter (±20 %) keeps many receivers
that failed together from being retried together.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from vetting.settings import WebhookSettings

FACTOR = 5.0
JITTER = 0.2
#: answers that ask the sender to slow down; their Retry-After is honoured
THROTTLING = frozenset({429, 502, 503, 504})


def next_attempt(*, attempts: int, round_started_at: datetime, now: datetime,
                 settings: WebhookSettings, retry_after_s: float | None = None,
                 rng: random.Random | None = None) -> datetime | None:
    """When to try again after `attempts` failed tries of this round, or None to park.

    The round's last attempt is made at the window's end at the latest; one that fails at
    or after it, or the `max_attempts`-th, parks the delivery.
    """
    deadline = round_started_at + timedelta(seconds=settings.retry_window_s)
    if attempts >= settings.max_attempts or now >= deadline:
        return None
    delay = min(settings.retry_base_s * FACTOR ** max(attempts - 1, 0),
                settings.retry_max_delay_s)
    delay *= (rng or random).uniform(1 - JITTER, 1 + JITTER)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, settings.retry_max_delay_s))
    return min(now + timedelta(seconds=delay), deadline)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3); None when unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)
