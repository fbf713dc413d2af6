"""Who may work a KT1 route, and why not: a pure function of recorded facts.

Eligibility is the police clearance **and** current training **and** a signed commitment
**and** active employment (Decision 55/2016 art. 6.4, predecessor rules), on an active
route, for a window that lies inside the clearance. Every failing reason is returned,
by code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from policies.calendar import day_end, local_date

REQUIRED_TRAININGS = ("postal_operations", "kt1_security")

#: Every reason a worker can be refused (the contract's codes; their Vietnamese and English
#: words live in the message catalogue).
REASON_CODES = (
    "UNKNOWN_WORKER", "EMPLOYMENT_ENDED", "NO_CLEARANCE", "CLEARANCE_PENDING", "NOT_CLEARED",
    "CLEARANCE_EXPIRED", "CLEARANCE_SUSPENDED", "CLEARANCE_REVOKED", "ATTESTATION_INVALID",
    "TRAINING_MISSING", "TRAINING_EXPIRED", "COMMITMENT_MISSING", "WINDOW_EXCEEDS_CLEARANCE",
    "ROUTE_INACTIVE",
)


@dataclass(frozen=True, slots=True)
class Reason:
    code: str


def reason(code: str) -> Reason:
    if code not in REASON_CODES:
        raise ValueError(f"unknown reason code {code!r}")
    return Reason(code)


@dataclass(frozen=True, slots=True)
class TrainingFact:
    kind: str
    completed_on: date
    valid_until: date


@dataclass(frozen=True, slots=True)
class ClearanceFact:
    """The clearance as it stood at the time asked about (state already as of then)."""

    state: str  # active, suspended, revoked
    valid_from: datetime
    valid_until: datetime
    attestation_valid: bool


@dataclass(frozen=True, slots=True)
class Facts:
    worker_known: bool
    left_on: date | None = None
    clearance: ClearanceFact | None = None
    request_open: bool = False
    last_outcome: str | None = None  # outcome of the latest decision, if any
    trainings: Sequence[TrainingFact] = ()
    commitment_dates: Sequence[date] = ()
    route_active: bool = True


@dataclass(frozen=True, slots=True)
class Decision:
    eligible: bool
    reasons: list[Reason] = field(default_factory=list)
    valid_until: datetime | None = None
    policy_version: str = ""


def _clearance_reasons(facts: Facts, at: datetime) -> list[str]:
    c = facts.clearance
    if c is None or c.valid_from > at:
        if facts.request_open:
            return ["CLEARANCE_PENDING"]
        return ["NOT_CLEARED"] if facts.last_outcome == "does_not_meet" else ["NO_CLEARANCE"]
    codes = [] if c.attestation_valid else ["ATTESTATION_INVALID"]
    if c.state == "revoked":
        codes.append("CLEARANCE_REVOKED")
    elif c.state == "suspended":
        codes.append("CLEARANCE_SUSPENDED")
    elif c.valid_until <= at:
        codes.append("CLEARANCE_EXPIRED")
    return codes


def _training_reasons(trainings: Sequence[TrainingFact], day: date) -> tuple[list[str],
                                                                              date | None]:
    codes: list[str] = []
    horizon: date | None = None
    for kind in REQUIRED_TRAININGS:
        done = [t for t in trainings if t.kind == kind and t.completed_on <= day]
        current = [t.valid_until for t in done if t.valid_until >= day]
        if not done:
            codes.append("TRAINING_MISSING")
        elif not current:
            codes.append("TRAINING_EXPIRED")
        else:
            horizon = min(horizon or max(current), max(current))
    return sorted(set(codes)), horizon


def evaluate(facts: Facts, *, at: datetime, window_end: datetime | None = None,
             policy_version: str = "") -> Decision:
    """Everything that stops the worker at `at` (and until `window_end`, when given)."""
    if not facts.worker_known:
        return Decision(False, [reason("UNKNOWN_WORKER")], None, policy_version)
    day = local_date(at)  # training, leave and commitment dates are Vietnam days
    codes: list[str] = []
    if facts.left_on is not None and facts.left_on <= day:
        codes.append("EMPLOYMENT_ENDED")
    codes += _clearance_reasons(facts, at)
    training_codes, training_until = _training_reasons(facts.trainings, day)
    codes += training_codes
    if not any(signed <= day for signed in facts.commitment_dates):
        codes.append("COMMITMENT_MISSING")
    clearance = facts.clearance
    if window_end is not None and clearance is not None and window_end > clearance.valid_until:
        codes.append("WINDOW_EXCEEDS_CLEARANCE")
    if not facts.route_active:
        codes.append("ROUTE_INACTIVE")
    if codes:
        return Decision(False, [reason(c) for c in dict.fromkeys(codes)], None, policy_version)
    assert clearance is not None
    until = clearance.valid_until
    if training_until is not None:
        until = min(until, day_end(training_until))
    return Decision(True, [], until, policy_version)
