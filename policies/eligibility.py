"""Who may work a KT1 route, and why not: a pure function of recorded facts.

Eligibility is the police clearance for the route's stage **and** current training **and** a
signed commitment **and** active employment (Decision 55/2016 art. 6.4, predecessor rules), on
an active route, judged at the window's start for a window that every time-limited fact
(clearance, both trainings) covers to its end. Every failing reason is returned, each with a
Vietnamese and an English message. The answer's `valid_until` is the latest end such a window
may have, so an assignment, the roster and an eligibility answer cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

REQUIRED_TRAININGS = ("postal_operations", "kt1_security")

MESSAGES: dict[str, tuple[str, str]] = {
    "UNKNOWN_WORKER": ("Không tìm thấy người lao động", "Unknown worker"),
    "EMPLOYMENT_ENDED": ("Người lao động đã nghỉ việc", "The worker's employment has ended"),
    "NO_CLEARANCE": ("Chưa có kết quả thẩm tra tiêu chuẩn chính trị",
                     "No political-standard clearance"),
    "CLEARANCE_PENDING": ("Đề nghị thẩm tra đang chờ công an xử lý",
                          "A vetting request is still with the police"),
    "NOT_CLEARED": ("Không đạt tiêu chuẩn chính trị",
                    "Did not meet the political standard"),
    "CLEARANCE_EXPIRED": ("Kết quả thẩm tra đã hết hiệu lực", "The clearance has expired"),
    "CLEARANCE_SUSPENDED": ("Kết quả thẩm tra đang bị tạm đình chỉ",
                            "The clearance is suspended"),
    "CLEARANCE_REVOKED": ("Kết quả thẩm tra đã bị thu hồi", "The clearance has been revoked"),
    "ATTESTATION_INVALID": ("Văn bản xác nhận (ký số) không hợp lệ",
                            "The signed attestation does not verify"),
    "TRAINING_MISSING": ("Chưa được đào tạo nghiệp vụ và an toàn an ninh KT1",
                         "Required KT1 training is missing"),
    "TRAINING_EXPIRED": ("Chứng nhận đào tạo đã hết hạn", "Required KT1 training has expired"),
    "COMMITMENT_MISSING": ("Chưa ký cam kết bảo vệ bí mật nhà nước",
                           "No signed commitment to protect state secrets"),
    "WINDOW_EXCEEDS_CLEARANCE": ("Thời gian phân công vượt quá hiệu lực kết quả thẩm tra",
                                 "The assignment window extends beyond the clearance"),
    "WINDOW_EXCEEDS_TRAINING": ("Thời gian phân công vượt quá hiệu lực chứng nhận đào tạo",
                                "The assignment window extends beyond a required training's "
                                "validity"),
    "STAGE_NOT_CLEARED": ("Công đoạn của tuyến không nằm trong các công đoạn đã được thẩm tra",
                          "The route's stage is not among the stages the clearance covers"),
    "ROUTE_INACTIVE": ("Tuyến KT1 không còn hoạt động", "The KT1 route is not active"),
}


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message_vi: str
    message_en: str

    def message(self, language: str) -> str:
        return self.message_en if language == "en" else self.message_vi


def reason(code: str) -> Reason:
    vi, en = MESSAGES[code]
    return Reason(code, vi, en)


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


def calendar_day(at: datetime) -> date:
    """The calendar day an instant falls on, whatever offset it was written with."""
    return at.astimezone(UTC).date()


def end_of_day(day: date) -> datetime:
    """The instant a fact "valid until `day`" stops holding: the end of that day."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


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
            lapses = end_of_day(max(current))
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
    day = calendar_day(at)
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
