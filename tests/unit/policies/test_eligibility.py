"""The pure eligibility rule: every reason code, and combinations of them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.eligibility import REASON_CODES, ClearanceFact, Facts, TrainingFact, evaluate, reason

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TRAININGS = (TrainingFact("postal_operations", date(2026, 1, 1), date(2028, 1, 1)),
             TrainingFact("kt1_security", date(2026, 1, 1), date(2027, 6, 30)))


def clearance(**overrides: object) -> ClearanceFact:
    values = {"state": "active", "valid_from": AT - timedelta(days=30),
              "valid_until": AT + timedelta(days=600), "attestation_valid": True}
    values.update(overrides)
    return ClearanceFact(**values)  # type: ignore[arg-type]


def good(**overrides: object) -> Facts:
    values = {"worker_known": True, "clearance": clearance(), "trainings": TRAININGS,
              "commitment_dates": (date(2026, 1, 2),)}
    values.update(overrides)
    return Facts(**values)  # type: ignore[arg-type]


def codes(facts: Facts, **kw: object) -> list[str]:
    return [r.code for r in evaluate(facts, at=AT, **kw).reasons]  # type: ignore[arg-type]


def test_eligible_until_the_earliest_limit() -> None:
    decision = evaluate(good(), at=AT, policy_version="p-1")
    assert decision.eligible and decision.reasons == [] and decision.policy_version == "p-1"
    assert decision.valid_until is not None and decision.valid_until.date() == date(2027, 6, 30)


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
    assert codes(good(), window_end=AT + timedelta(days=601)) == ["WINDOW_EXCEEDS_CLEARANCE"]
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
