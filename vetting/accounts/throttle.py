"""Failed sign-ins: growing delays, then a lock (SP 800-63B §3.2.2), counted atomically.

An account's failures live on its row; a username without an account has a row of its own
in `login_throttle`, counted by the same rules, so an attacker who watches the answers (429
and its `Retry-After`, or 401) cannot tell which usernames exist. Failures older than
`FORGET_AFTER` are forgotten for both alike, which is also what lets stale rows of unknown
names be deleted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from vetting.db import insert_for
from vetting.errors import TooManyAttempts
from vetting.models import LoginThrottle, UserAccount

THROTTLE_AFTER = 3          # failures before each attempt must wait
THROTTLE_BASE = timedelta(seconds=1)  # the first wait; it doubles with each further failure
THROTTLE_MAX = timedelta(seconds=60)
LOCK_AFTER = 10             # failures before the account locks
LOCK_FOR = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)  # a failure this old no longer counts

Counters = UserAccount | LoginThrottle


def waiting_until(row: Counters | None, now: datetime) -> datetime | None:
    """The end of the delay or lock `row` is in at `now` (None: none)."""
    if row is None:
        return None
    ends = [t for t in (row.locked_until, row.throttled_until) if t is not None and t > now]
    return max(ends, default=None)


def too_many(until: datetime, now: datetime) -> TooManyAttempts:
    """The refusal of an attempt made during a wait: the same for every username (audited by
    the caller before it raises)."""
    return TooManyAttempts("too many failed sign-ins; wait and try again",
                           retry_after=max(1, math.ceil((until - now).total_seconds())),
                           audited=True)


@dataclass(frozen=True, slots=True)
class Failure:
    """One counted failure: the count it made, the wait it started, and whether the row was
    already waiting when it was counted (a concurrent attempt got there first)."""

    failed: int
    throttled_for: timedelta | None
    locked_until: datetime | None
    waiting_until: datetime | None

    def audit_body(self) -> dict[str, object]:
        body: dict[str, object] = {"failed_logins": self.failed}
        if self.throttled_for is not None:
            body["throttled_seconds"] = int(self.throttled_for.total_seconds())
        return body


def _next_count(table: type[Counters], now: datetime) -> ColumnElement[int]:
    """The count after one more failure, restarting once the last one is forgotten."""
    forgotten = or_(table.last_failed_at.is_(None), table.last_failed_at < now - FORGET_AFTER)
    return case((forgotten, 1), else_=table.failed_logins + 1)


def _consequence(failed: int, now: datetime) -> tuple[timedelta | None, datetime | None]:
    if failed >= LOCK_AFTER:
        return None, now + LOCK_FOR
    if failed >= THROTTLE_AFTER:
        return min(THROTTLE_BASE * 2 ** (failed - THROTTLE_AFTER), THROTTLE_MAX), None
    return None, None


async def _counted(session: AsyncSession, table: type[Counters], where: ColumnElement[bool],
                   returned: Any, now: datetime) -> Failure:
    """Turn the row's new count (and its wait as it stood before) into the wait it starts."""
    failed, throttled_until, locked_until = returned
    throttled_for, lock = _consequence(failed, now)
    if throttled_for is not None or lock is not None:
        values = ({"locked_until": lock} if lock is not None
                  else {"throttled_until": now + throttled_for})
        await session.execute(update(table).where(where).values(**values)
                              .execution_options(synchronize_session=False))
    earlier = [t for t in (throttled_until, locked_until) if t is not None and t > now]
    return Failure(failed=failed, throttled_for=throttled_for, locked_until=lock,
                   waiting_until=max(earlier, default=None))


async def count_account_failure(session: AsyncSession, user_id: str, now: datetime) -> Failure:
    """One more failure for an account: one atomic `UPDATE … RETURNING`, so failures that
    happen at the same moment all count. The wait columns are not touched by it, so the row
    returns them as they stood before this failure."""
    where = UserAccount.id == user_id
    returned = (await session.execute(
        update(UserAccount).where(where)
        .values(failed_logins=_next_count(UserAccount, now), last_failed_at=now)
        .returning(UserAccount.failed_logins, UserAccount.throttled_until,
                   UserAccount.locked_until)
        .execution_options(synchronize_session=False))).one()
    return await _counted(session, UserAccount, where, returned, now)


async def count_name_failure(session: AsyncSession, key: str, now: datetime) -> Failure:
    """One more failure for a username without an account (an atomic upsert), and the rows of
    names whose failures are all forgotten are dropped."""
    await session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_failed_at < now - FORGET_AFTER))
    statement = insert_for(session, LoginThrottle).values(key=key, failed_logins=1,
                                                          last_failed_at=now)
    returned = (await session.execute(statement.on_conflict_do_update(
        index_elements=[LoginThrottle.key],
        set_={"failed_logins": _next_count(LoginThrottle, now), "last_failed_at": now},
    ).returning(LoginThrottle.failed_logins, LoginThrottle.throttled_until,
                LoginThrottle.locked_until))).one()
    return await _counted(session, LoginThrottle, LoginThrottle.key == key, returned, now)


def forgive(user: UserAccount) -> None:
    """A successful sign-in (or an admin's password reset) clears the account's failures."""
    user.failed_logins, user.throttled_until, user.locked_until = 0, None, None
    user.last_failed_at = None
