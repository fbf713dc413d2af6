"""Domain errors. They carry a machine code and never database text; `api` maps them to HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class DomainError(Exception):
    """Base class: `code` is stable for clients, `detail` is safe to show.

    `audited` marks a refusal that recorded itself (its audit entry, and any consequence such
    as a failure counter) in the current transaction: the transaction commits that record and
    the error travels on (`vetting.db.Database.transaction`). Raise an audited error only when
    the transaction holds nothing but the refusal's own record; any other error rolls back.
    """

    code = "DOMAIN_ERROR"
    audited = False

    def __init__(self, detail: str, *, code: str | None = None, audited: bool | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if audited is not None:
            self.audited = audited
        self.extra = extra


class NotFound(DomainError):
    """Missing, or outside the caller's scope: the two are deliberately indistinguishable."""

    code = "NOT_FOUND"


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, wrong state, stale version)."""

    code = "CONFLICT"


class InvalidInput(DomainError):
    """A value breaks a domain rule; `field` names it."""

    code = "INVALID_INPUT"

    def __init__(self, detail: str, *, field: str, code: str | None = None,
                 audited: bool | None = None, **extra: Any) -> None:
        super().__init__(detail, code=code, audited=audited, field=field, **extra)
        self.field = field


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


@dataclass(frozen=True, slots=True)
class BatchFailure:
    """Why the item at `index` of a batch (0-based) was refused."""

    index: int
    item: str
    error: DomainError


class BatchRefused(DomainError):
    """Some items of an all-or-nothing batch were refused, so nothing was done; `failures`
    names each by its position."""

    code = "BATCH_REFUSED"

    def __init__(self, failures: list[BatchFailure]) -> None:
        super().__init__(f"{len(failures)} items were refused; nothing was done",
                         count=len(failures))
        self.failures = failures
class TooManyAttempts(DomainError):
    """Refused until a wait is over; `retry_after` says how many seconds are left."""

    code = "TOO_MANY_REQUESTS"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None,
                 audited: bool | None = None) -> None:
        super().__init__(detail, code=code, audited=audited, retry_after=retry_after)
        self.retry_after = retry_after


def require_version(current: int, expected: int | None, *, what: str) -> None:
    """Optimistic locking: a client that read an older version gets a 409, never an overwrite."""
    if expected is not None and expected != current:
        raise Conflict(f"the {what} changed meanwhile (version {current})",
                       code="STALE_VERSION", current_version=current)
