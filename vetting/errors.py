"""Domain errors. They carry a machine code and never database text; `api` maps them to HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class DomainError(Exception):
    """Base class: `code` is stable for clients, `detail` is safe to show."""

    code = "DOMAIN_ERROR"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
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

    def __init__(self, detail: str, *, field: str, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail, code=code, field=field, **extra)
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


def require_version(current: int, expected: int | None, *, what: str) -> None:
    """Optimistic locking: a client that read an older version gets a 409, never an overwrite."""
    if expected is not None and expected != current:
        raise Conflict(f"the {what} changed meanwhile (version {current})",
                       code="STALE_VERSION", current_version=current)
