"""Who may work a KT1 route, and why not: a pure function of recorded facts.

Eligibility is the police clearance for the route's stage **and** current training **and** a
signed commitment **and** active employment (Decision 55/2016 art. 6.4, predecessor rules), on
an active route, judged at the window's start for a window that every time-limited fact
(clearance, both trainings) covers to its end. Every failing reason is returned, by
code (its words live in the message catalogue). The answer's `valid_until` is the latest end
such a window may have, so an assignment, the roster and an eligibility answer cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import msgspec

from policies.calendar import day_end, local_date

REQUIRED_TRAININGS = ("postal_operations", "kt1_security")

#: Every reason a worker can be refused (the contract's codes; their Vietnamese and English
#: words live in the message catalogue).
REASON_CODES = (
    "UNKNOWN_WORKER", "EMPLOYMENT_ENDED", "NO_CLEARANCE", "CLEARANCE_PENDING", "NOT_CLEARED",
    "CLEARANCE_EXPIRED", "CLEARANCE_SUSPENDED", "CLEARANCE_REVOKED", "ATTESTATION_INVALID",
    "TRAINING_MISSING", "TRAINING_EXPIRED", "COMMITMENT_MISSING", "WINDOW_EXCEEDS_CLEARANCE",
    "ROUTE_INACTIVE", "STAGE_NOT_CLEARED", "WINDOW_EXCEEDS_TRAINING",
)


@dataclass(frozen=True, slots=True)
class Reason:
    code: str


def reason(code: str) -> Reason:
    if code not in REASON_CODES:
        raise ValueError(f"unknown reason code {code!r}")
    return Reason(code)


class TrainingFact(msgspec.Struct, frozen=True, gc=False):
    """`gc=False`: the registry keeps tens of thousands in its read cache, and objects the
    cyclic collector need not walk keep its full collections short (they hold no cycles)."""

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
    stages: tuple[str, ...] = ()  # the stages the attestation signs (none if it does not verify)


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
    route_stage: str | None = None  # None: any stage (a count of cleared workers, not a route)


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
                                                                              datetime | None]:
    """The training reasons on `day`, and the instant the first required training lapses."""
    codes: list[str] = []
    horizon: datetime | None = None
    for kind in REQUIRED_TRAININGS:
        done = [t for t in trainings if t.kind == kind and t.completed_on <= day]
        current = [t.valid_until for t in done if t.valid_until >= day]
        if not done:
            codes.append("TRAINING_MISSING")
        elif not current:
            codes.append("TRAINING_EXPIRED")
        else:
            lapses = day_end(max(current))
            horizon = lapses if horizon is None else min(horizon, lapses)
    return sorted(set(codes)), None if codes else horizon


def _in_force(clearance: ClearanceFact | None, at: datetime) -> ClearanceFact | None:
    """The clearance if it has begun and not yet run out at `at` (whatever its state)."""
    if clearance is None or clearance.valid_from > at or clearance.valid_until <= at:
        return None
    return clearance


def _stage_reasons(facts: Facts, at: datetime) -> list[str]:
    """Only the signed stages count: a stage added to the worker later needs a new request."""
    c = facts.clearance
    if facts.route_stage is None or c is None or c.valid_from > at or not c.attestation_valid:
        return []
    return [] if facts.route_stage in c.stages else ["STAGE_NOT_CLEARED"]


def _window_reasons(clearance: ClearanceFact | None, training_until: datetime | None,
                    window_end: datetime | None) -> list[str]:
    if window_end is None:
        return []
    codes = []
    if clearance is not None and window_end > clearance.valid_until:
        codes.append("WINDOW_EXCEEDS_CLEARANCE")
    if training_until is not None and window_end > training_until:
        codes.append("WINDOW_EXCEEDS_TRAINING")
    return codes


def evaluate(facts: Facts, *, at: datetime, window_end: datetime | None = None,
             policy_version: str = "") -> Decision:
    """Everything that stops the worker at `at` (and until `window_end`, when given).

    Eligible answers carry `valid_until`: a window from `at` is accepted exactly when it ends
    no later than that."""
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
    codes += _stage_reasons(facts, at)
    clearance = _in_force(facts.clearance, at)
    codes += _window_reasons(clearance, training_until, window_end)
    if not facts.route_active:
        codes.append("ROUTE_INACTIVE")
    if codes:
        return Decision(False, [reason(c) for c in dict.fromkeys(codes)], None, policy_version)
    assert clearance is not None and training_until is not None
    return Decision(True, [], min(clearance.valid_until, training_until), policy_version)
