"""The pure eligibility rule: every reason code, and combinations of them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.calendar import day_end, local_date
from policies.eligibility import (
    REASON_CODES,
    ClearanceFact,
    Facts,
    TrainingFact,
    evaluate,
    reason,
)

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TRAININGS = (TrainingFact("postal_operations", date(2026, 1, 1), date(2028, 1, 1)),
             TrainingFact("kt1_security", date(2026, 1, 1), date(2027, 6, 30)))
TRAINED_UNTIL = datetime(2027, 6, 30, 17, 0, tzinfo=UTC)  # end of 30 June 2027 in Vietnam (UTC+7)
SIGNED_STAGES = ("acceptance", "transport")


def clearance(**overrides: object) -> ClearanceFact:
    values = {"state": "active", "valid_from": AT - timedelta(days=30),
              "valid_until": AT + timedelta(days=600), "attestation_valid": True,
              "stages": SIGNED_STAGES}
    values.update(overrides)
    return ClearanceFact(**values)  # type: ignore[arg-type]


def good(**overrides: object) -> Facts:
    values = {"worker_known": True, "clearance": clearance(), "trainings": TRAININGS,
              "commitment_dates": (date(2026, 1, 2),), "route_stage": "transport"}
    values.update(overrides)
    return Facts(**values)  # type: ignore[arg-type]


def codes(facts: Facts, **kw: object) -> list[str]:
    return [r.code for r in evaluate(facts, at=AT, **kw).reasons]  # type: ignore[arg-type]


def test_eligible_until_the_earliest_limit() -> None:
    decision = evaluate(good(), at=AT, policy_version="p-1")
    assert decision.eligible and decision.reasons == [] and decision.policy_version == "p-1"
    assert decision.valid_until == TRAINED_UNTIL  # the training binds: it lapses first
    short = clearance(valid_until=AT + timedelta(days=10))
    assert evaluate(good(clearance=short), at=AT).valid_until == short.valid_until


def test_every_reason_code() -> None:
    assert codes(Facts(worker_known=False)) == ["UNKNOWN_WORKER"]
    assert codes(good(left_on=AT.date())) == ["EMPLOYMENT_ENDED"]
    assert codes(good(left_on=AT.date() + timedelta(days=1))) == []
    assert codes(good(clearance=None)) == ["NO_CLEARANCE"]
    assert codes(good(clearance=None, request_open=True)) == ["CLEARANCE_PENDING"]
    assert codes(good(clearance=None, last_outcome="does_not_meet")) == ["NOT_CLEARED"]
    assert codes(good(clearance=clearance(valid_until=AT))) == ["CLEARANCE_EXPIRED"]
    assert codes(good(clearance=clearance(state="suspended"))) == ["CLEARANCE_SUSPENDED"]
    assert codes(good(clearance=clearance(state="revoked"))) == ["CLEARANCE_REVOKED"]
    assert codes(good(clearance=clearance(attestation_valid=False))) == ["ATTESTATION_INVALID"]
    assert codes(good(trainings=TRAININGS[:1])) == ["TRAINING_MISSING"]
    expired = (TRAININGS[0], TrainingFact("kt1_security", date(2020, 1, 1), date(2022, 1, 1)))
    assert codes(good(trainings=expired)) == ["TRAINING_EXPIRED"]
    future = (TRAININGS[0], TrainingFact("kt1_security", date(2027, 1, 1), date(2029, 1, 1)))
    assert codes(good(trainings=future)) == ["TRAINING_MISSING"]
    assert codes(good(commitment_dates=())) == ["COMMITMENT_MISSING"]
    assert codes(good(commitment_dates=(date(2027, 1, 1),))) == ["COMMITMENT_MISSING"]
    assert codes(good(), window_end=AT + timedelta(days=601)) == [
        "WINDOW_EXCEEDS_CLEARANCE", "WINDOW_EXCEEDS_TRAINING"]
    assert codes(good(), window_end=TRAINED_UNTIL + timedelta(days=1)) == [
        "WINDOW_EXCEEDS_TRAINING"]
    assert codes(good(route_stage="delivery")) == ["STAGE_NOT_CLEARED"]
    assert codes(good(route_active=False)) == ["ROUTE_INACTIVE"]
    assert codes(good(clearance=clearance(valid_from=AT + timedelta(days=1)))) == [
        "NO_CLEARANCE"]


def test_only_known_reason_codes_can_be_given() -> None:
    assert reason("NO_CLEARANCE").code == "NO_CLEARANCE"
    assert len(set(REASON_CODES)) == len(REASON_CODES)
    with pytest.raises(ValueError, match="unknown reason"):
        reason("NOT_A_REASON")


@given(left=st.booleans(), cleared=st.sampled_from(["active", "suspended", "revoked", None]),
       signed=st.booleans(), trained=st.booleans(), committed=st.booleans(),
       route_active=st.booleans())
def test_eligible_exactly_when_no_reason(left: bool, cleared: str | None, signed: bool,
                                         trained: bool, committed: bool,
                                         route_active: bool) -> None:
    facts = good(left_on=AT.date() if left else None,
                 clearance=clearance(state=cleared, attestation_valid=signed) if cleared
                 else None,
                 trainings=TRAININGS if trained else (), commitment_dates=(
                     (date(2026, 1, 2),) if committed else ()), route_active=route_active)
    decision = evaluate(facts, at=AT)
    expected = not left and cleared == "active" and signed and trained and committed and \
        route_active
    assert decision.eligible is expected
    assert (decision.reasons == []) is expected
    assert (decision.valid_until is not None) is expected
    found = {r.code for r in decision.reasons}
    assert ("EMPLOYMENT_ENDED" in found) is left
    assert ("TRAINING_MISSING" in found) is not trained
    assert ("COMMITMENT_MISSING" in found) is not committed
    assert ("ROUTE_INACTIVE" in found) is not route_active
    assert len(found) == len(decision.reasons)  # no duplicates


def test_the_route_stage_must_be_signed() -> None:
    assert codes(good(route_stage="acceptance")) == []
    assert codes(good(route_stage="processing")) == ["STAGE_NOT_CLEARED"]
    assert codes(good(route_stage=None, clearance=clearance(stages=()))) == []  # any stage
    assert codes(good(clearance=clearance(stages=()))) == ["STAGE_NOT_CLEARED"]
    # an unverified attestation vouches for nothing, stages included: one reason says so
    assert codes(good(clearance=clearance(attestation_valid=False, stages=()))) == [
        "ATTESTATION_INVALID"]
    assert codes(good(route_stage="delivery", clearance=clearance(state="suspended"))) == [
        "CLEARANCE_SUSPENDED", "STAGE_NOT_CLEARED"]


def test_the_window_must_stay_inside_both_trainings() -> None:
    assert codes(good(), window_end=TRAINED_UNTIL) == []
    assert codes(good(), window_end=TRAINED_UNTIL + timedelta(microseconds=1)) == [
        "WINDOW_EXCEEDS_TRAINING"]
    renewed = (*TRAININGS, TrainingFact("kt1_security", date(2026, 6, 1), date(2028, 6, 1)))
    assert codes(good(trainings=renewed), window_end=day_end(date(2028, 1, 1))) == []
    assert codes(good(trainings=renewed), window_end=day_end(date(2028, 1, 2))) == [
        "WINDOW_EXCEEDS_TRAINING"]  # postal_operations lapses first now
    # a lapsed or missing training is said once, not again as a window problem
    lapsed = (TRAININGS[0], TrainingFact("kt1_security", date(2020, 1, 1), date(2022, 1, 1)))
    assert codes(good(trainings=lapsed), window_end=AT + timedelta(days=1)) == [
        "TRAINING_EXPIRED"]
    assert codes(good(trainings=TRAININGS[:1]), window_end=AT + timedelta(days=900)) == [
        "TRAINING_MISSING", "WINDOW_EXCEEDS_CLEARANCE"]


def test_the_offset_an_instant_is_written_with_changes_nothing() -> None:
    """Calendar days come from the instant, never from the offset the client wrote."""
    lapsing = good(trainings=(TRAININGS[0], TrainingFact("kt1_security", date(2026, 1, 1),
                                                         AT.date())))
    for hours in range(-24, 48):
        at = AT + timedelta(hours=hours)
        for offset in (-12, 7, 14):
            local = at.astimezone(timezone(timedelta(hours=offset)))
            assert evaluate(lapsing, at=at) == evaluate(lapsing, at=local), (at, offset)


@given(clearance_days=st.integers(1, 900), trained_days=st.integers(0, 900),
       security_days=st.integers(0, 900), hour=st.integers(0, 23))
def test_valid_until_is_the_latest_window_end_accepted(clearance_days: int, trained_days: int,
                                                      security_days: int, hour: int) -> None:
    """What an eligibility answer says and what an assignment accepts cannot disagree."""
    at = AT.replace(hour=hour)
    facts = good(clearance=clearance(valid_until=at + timedelta(days=clearance_days)),
                 trainings=(TrainingFact("postal_operations", date(2026, 1, 1),
                                         local_date(at) + timedelta(days=trained_days)),
                            TrainingFact("kt1_security", date(2026, 1, 1),
                                         local_date(at) + timedelta(days=security_days))))
    decision = evaluate(facts, at=at)
    assert decision.eligible and decision.valid_until is not None
    assert decision.valid_until > at
    assert evaluate(facts, at=at, window_end=decision.valid_until).eligible
    beyond = evaluate(facts, at=at, window_end=decision.valid_until + timedelta(microseconds=1))
    assert not beyond.eligible
    assert {r.code for r in beyond.reasons} <= {"WINDOW_EXCEEDS_CLEARANCE",
                                                "WINDOW_EXCEEDS_TRAINING"}
